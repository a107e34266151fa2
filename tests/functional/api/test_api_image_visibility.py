"""A project boots only the images it may see: public, community and its own."""

from __future__ import annotations

import pytest

from tests.functional.api.api_world import ADMIN, ALICE, BOB


@pytest.fixture
def images(world):
    world.flavor()
    return {"private_of_b": world.image(visibility="private", owner="project-b"),
            "shared_to_all": world.image(visibility="community", owner="project-b"),
            "own": world.image(visibility="private", owner="project-a")}


def _boot(client, image, headers):
    body = {"server": {"name": "s", "flavorRef": "1", "imageRef": image.uuid}}
    return client.post("/v2.1/servers", json=body, headers=headers)


def test_another_projects_private_image_is_not_found(client, images):
    refused = _boot(client, images["private_of_b"], ALICE)
    assert refused.status_code == 400
    assert refused.json["badRequest"]["message"] == (
        f"Image {images['private_of_b'].uuid} could not be found.")
    assert _boot(client, images["private_of_b"], BOB).status_code == 202
    assert _boot(client, images["private_of_b"], ADMIN).status_code == 202


def test_community_and_own_images_boot(client, images):
    assert _boot(client, images["shared_to_all"], ALICE).status_code == 202
    assert _boot(client, images["own"], ALICE).status_code == 202
