import requests


def test_health_and_version(seeded_server):
    response = requests.get(seeded_server.url + "/-/health", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    version = requests.get(seeded_server.url + "/-/version", timeout=10).json()
    assert "tfatlas" in version
