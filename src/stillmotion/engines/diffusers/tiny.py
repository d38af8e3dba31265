"""Tiny, seeded, randomly initialised pipelines of each supported family, built in code.

Why: the diffusers engine must be tested and benchmarked on machines with no GPU, no
weights and no hub (CI). A tiny pipeline has the real classes, the real scheduler, the
real VAE and text-encoder plumbing of its family, so a request goes through every line of
the engine a real model would; only the numbers inside are random. It is saved as an
ordinary diffusers model directory, so it is also loaded the way a real model is.
`stillmotion diffusers-tiny DIR --family wan` makes one for operators to smoke-test a
deployment (its videos are coloured noise that starts on the photo).

The tokenizer is built with the `tokenizers` library from a fixed word list (no
download); words outside it map to <unk>, which a random text encoder does not mind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from stillmotion.engines.diffusers.profile import PROFILE_FILE

FAMILIES = ("svd", "ltx", "wan", "cogvideox")

# Native working points of the tiny models: small enough that a 4 s clip denoises in about
# a second on two CPU cores, with the families' real frame rules (k * temporal factor + 1).
# SVD's UNet runs every frame at full latent size, so it gets fewer frames.
TINY_PROFILE: dict[str, Any] = {"max_area": 96 * 64, "fps": 8, "steps": 2}
TINY_PROFILES: dict[str, dict[str, Any]] = {
    "svd": {**TINY_PROFILE, "fps": 3, "max_frames": 13},
    "ltx": TINY_PROFILE,
    "wan": TINY_PROFILE,
    "cogvideox": TINY_PROFILE,
}

_WORDS = (
    "a the and of to in on with camera slowly gently fast push pull pan tilt orbit zoom "
    "in out left right up down static handheld rain snow fog light wind water clouds hair "
    "leaves breathing cat dog person portrait rocket city street sky sea mountain tree "
    "moves walks turns smiles looks dramatic subtle motion scene photo video"
).split()


def _tokenizer() -> Any:
    """A T5-style word-level tokenizer (appends </s>), wrapped for transformers."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in _WORDS:
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", vocab["</s>"])])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=64)


def _t5(d_model: int) -> Any:
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(vocab_size=len(_WORDS) + 3, d_model=d_model, d_kv=8,
                                   d_ff=37, num_layers=2, num_heads=4))


def _umt5(d_model: int) -> Any:
    """Wan's text encoder class (UMT5), tiny."""
    from transformers import UMT5Config, UMT5EncoderModel

    return UMT5EncoderModel(UMT5Config(vocab_size=len(_WORDS) + 3, d_model=d_model, d_kv=8,
                                       d_ff=37, num_layers=2, num_heads=4))


def _clip_vision(hidden: int, projection: bool) -> tuple[Any, Any]:
    """CLIP's own 224 px input (SVD resizes to it itself) in 7x7 patches: cheap. SVD uses
    the projected image embedding, Wan the hidden states."""
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        CLIPVisionModel,
        CLIPVisionModelWithProjection,
    )

    config = CLIPVisionConfig(
        hidden_size=hidden, projection_dim=hidden, num_hidden_layers=2, num_attention_heads=2,
        image_size=224, intermediate_size=16, patch_size=32)
    model = CLIPVisionModelWithProjection(config) if projection else CLIPVisionModel(config)
    return model, CLIPImageProcessor(crop_size=224, size=224)


def build_svd() -> Any:
    """Stable Video Diffusion: image-conditioned UNet, temporal-decoder VAE, CLIP image."""
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )

    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=16, in_channels=8,
        out_channels=4, cross_attention_dim=32, num_attention_heads=2,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        projection_class_embeddings_input_dim=3 * 32, addition_time_embed_dim=32)
    vae = AutoencoderKLTemporalDecoder(  # GroupNorm's 32 groups: channels are multiples of 32
        block_out_channels=(32, 32, 32), in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 3, layers_per_block=1)
    image_encoder, feature_extractor = _clip_vision(32, projection=True)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        interpolation_type="linear", num_train_timesteps=1000, prediction_type="v_prediction",
        sigma_max=700.0, sigma_min=0.002, steps_offset=1, timestep_spacing="leading",
        timestep_type="continuous", use_karras_sigmas=True)
    return StableVideoDiffusionPipeline(vae=vae, image_encoder=image_encoder, unet=unet,
                                        scheduler=scheduler, feature_extractor=feature_extractor)


def build_ltx() -> Any:
    """LTX-Video image-to-video: a video DiT over a causal video VAE, T5 text."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )

    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=2,
        attention_head_dim=8, cross_attention_dim=16, num_layers=1, caption_channels=16)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False), upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True,
        decoder_causal=False)
    return LTXImageToVideoPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=_t5(16),
        tokenizer=_tokenizer(), transformer=transformer)


def build_wan() -> Any:
    """Wan 2.1 image-to-video: a DiT with image cross-attention, Wan VAE, T5 and CLIP."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )

    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36,
        out_channels=16, text_dim=16, freq_dim=256, ffn_dim=32, num_layers=2,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        image_dim=16)
    image_encoder, image_processor = _clip_vision(16, projection=False)
    return WanImageToVideoPipeline(
        tokenizer=_tokenizer(), text_encoder=_umt5(16), vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), transformer=transformer,
        image_encoder=image_encoder, image_processor=image_processor)


def build_cogvideox() -> Any:
    """CogVideoX 1.0 image-to-video: learned positional embeddings for one size (96x64
    here, 720x480 in the real model), so the fixed-size path is exercised."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )

    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4,
        time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=12, sample_height=8,
        sample_frames=33, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=226,
        use_rotary_positional_embeddings=True, use_learned_positional_embeddings=True)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
        latent_channels=4, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)
    return CogVideoXImageToVideoPipeline(
        tokenizer=_tokenizer(), text_encoder=_t5(32), vae=vae, transformer=transformer,
        scheduler=DDIMScheduler())


_BUILDERS = {"svd": build_svd, "ltx": build_ltx, "wan": build_wan,
             "cogvideox": build_cogvideox}


def build(family: str, seed: int = 0) -> Any:
    """The tiny pipeline of `family`, its weights drawn from `seed` (same seed, same model)."""
    if family not in _BUILDERS:
        raise ValueError(f"unknown family {family!r} (one of {', '.join(FAMILIES)})")
    torch.manual_seed(seed)
    return _BUILDERS[family]()


def save_tiny(family: str, directory: Path, seed: int = 0) -> Path:
    """Write the tiny `family` pipeline as a model directory, with the small native profile
    the engine should use for it (PROFILE_FILE)."""
    pipe = build(family, seed)
    directory.mkdir(parents=True, exist_ok=True)
    pipe.save_pretrained(directory)
    (directory / PROFILE_FILE).write_text(json.dumps(TINY_PROFILES[family], indent=2) + "\n")
    return directory
