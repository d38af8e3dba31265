from tests.conftest import submit, wait_for


def test_submit_and_finish(api):
    response = submit(api, prompt="zoom in")
    assert response.status_code == 200, response.text
    body = wait_for(api, response.json()["task_id"])
    assert body["task"]["status"] == "TASK_STATUS_SUCCEED"
