import math

import pytest
import torch

from galaxy_sklearn.nn import (
    BACKBONES,
    ConvAutoencoder,
    GalaxyAugmentation,
    ImageInput,
    MoCo,
    build_backbone,
    load_backbone_weights,
    major_axis_angle,
    make_augmentation,
    read_state_dict,
)


@pytest.mark.parametrize("name", ["simple_cnn", "resnet18"])
@pytest.mark.parametrize("size", [8, 20, 33])
def test_backbones_map_images_to_feature_vectors(name, size):
    net = build_backbone(name, in_channels=2, image_size=size).eval()
    assert net(torch.rand(3, 2, size, size)).shape == (3, net.out_features)


@pytest.mark.parametrize(
    "name, features, min_size",
    [("vgg16", 512, 32), ("inception_v3", 2048, 75), ("xception", 2048, 71)],
)
@pytest.mark.parametrize("bands", [1, 3])
def test_zoo_backbones_take_small_images_through_the_adapter(
    name, features, min_size, bands
):
    if name == "xception":
        pytest.importorskip("timm")
    net = build_backbone(name, in_channels=bands, image_size=16).eval()
    assert (net.out_features, net.min_size) == (features, min_size)
    # 16 px galaxies are enlarged to what the backbone needs
    x = ImageInput([0.5] * bands, [0.2] * bands, min_size=net.min_size)(
        torch.rand(2, bands, 16, 16)
    )
    assert x.shape[-1] == max(16, min_size)
    with torch.no_grad():
        assert net(x).shape == (2, features)


def test_imagenet_filters_are_spread_over_other_band_counts():
    from galaxy_sklearn.nn._backbones import _first_conv

    rgb = torch.nn.Conv2d(3, 8, 3)
    one = _first_conv(rgb, 1, "imagenet")
    expected = rgb.weight.mean(1, keepdim=True) * 3
    torch.testing.assert_close(one.weight, expected)
    # a random start keeps its own initialisation
    assert not torch.equal(_first_conv(rgb, 1, None).weight, expected)
    assert _first_conv(rgb, 3, "imagenet") is rgb


def test_registry_has_the_promised_backbones_and_rejects_unknown():
    assert {
        "simple_cnn", "resnet18", "resnet50", "vgg16", "inception_v3", "xception"
    } <= set(BACKBONES)  # fmt: skip
    with pytest.raises(ValueError, match="Unknown backbone 'vgg99'"):
        build_backbone("vgg99", 3, 32)


def test_simple_cnn_is_the_galaxy10_architecture():
    net = build_backbone("simple_cnn", 3, 64)
    convs = [m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    dense = [m.out_features for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert convs == [64, 64, 128, 256] and dense == [150, 60]
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in net.modules())


@pytest.mark.parametrize("size, final", [(16, 2), (32, 2), (64, 2), (128, 4), (224, 7)])
def test_resnet_stem_leaves_small_galaxies_a_useful_final_map(size, final):
    net = build_backbone("resnet18", 3, size)
    trunk = torch.nn.Sequential(*list(net.children())[:-2])  # up to layer4
    assert trunk(torch.rand(1, 3, size, size)).shape[-1] == final


def test_image_input_standardises_and_enlarges_tiny_images():
    adapter = ImageInput(mean=[0.1, 0.2], std=[0.5, 2.0], min_size=8)
    x = torch.full((1, 2, 2, 3), 0.6)
    out = adapter(x)
    assert out.shape == (1, 2, 8, 8)
    assert torch.allclose(out[0, 0], torch.full((8, 8), 1.0))
    assert torch.allclose(out[0, 1], torch.full((8, 8), 0.2))
    torch.testing.assert_close(adapter.denormalize(adapter(x)[..., :2, :3]), x)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_network_input_is_channels_first_float_scaled_from_uint8(dtype):
    from galaxy_sklearn._engine import network_input

    raw = torch.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5).to(dtype)
    out = network_input(raw, "cpu")
    assert out.dtype == torch.float32 and out.is_contiguous()
    scale = 255.0 if dtype == torch.uint8 else 1.0
    torch.testing.assert_close(out, raw.permute(0, 3, 1, 2).float() / scale)


def test_autoencoder_keeps_odd_sizes():
    ae = ConvAutoencoder(1, (13, 7), latent_dim=5)
    assert ae(torch.rand(2, 1, 13, 7)).shape == (2, 1, 13, 7)


def _second_moment_axis_ratio(img):
    h, w = img.shape[-2:]
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float32),
        torch.arange(w, dtype=torch.float32),
        indexing="ij",
    )
    flux = img.sum()
    cy, cx = (img * yy).sum() / flux, (img * xx).sum() / flux
    cov = (
        torch.tensor(
            [
                [(img * (yy - cy) ** 2).sum(), (img * (yy - cy) * (xx - cx)).sum()],
                [(img * (yy - cy) * (xx - cx)).sum(), (img * (xx - cx) ** 2).sum()],
            ]
        )
        / flux
    )
    eig = torch.linalg.eigvalsh(cov)
    return math.sqrt(eig[0] / eig[1])


def test_geometric_augmentation_keeps_a_galaxys_ellipticity():
    torch.manual_seed(0)
    size = 48
    yy, xx = torch.meshgrid(
        torch.arange(size) - size / 2 + 0.5,
        torch.arange(size) - size / 2 + 0.5,
        indexing="ij",
    )
    galaxy = torch.exp(-((xx / 10.0) ** 2 + (yy / 4.0) ** 2))  # axis ratio 0.4
    batch = galaxy.expand(16, 1, size, size).clone()
    aug = GalaxyAugmentation(blur=0.0, noise=0.0, brightness=0.0, shift=0.02)
    out = aug(batch)
    ratios = [_second_moment_axis_ratio(img[0]) for img in out]
    assert _second_moment_axis_ratio(galaxy) == pytest.approx(0.4, abs=0.02)
    assert max(abs(r - 0.4) for r in ratios) < 0.05
    # and the views really differ (rotated), not a copy
    assert (out - batch).abs().mean() > 0.01


def test_augmentation_draws_per_image_parameters_and_is_off_in_eval():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 16, 16).repeat(8, 1, 1, 1)
    aug = make_augmentation("galaxy")
    out = aug(x)
    assert len({round(float(v), 4) for v in out.mean(dim=(1, 2, 3))}) == 8
    assert torch.equal(aug.eval()(x), x)
    with pytest.raises(ValueError, match="augmentation must be"):
        make_augmentation("hue_shift")


def test_blur_preserves_flux_and_spreads_it():
    x = torch.zeros(2, 1, 15, 15)
    x[:, :, 7, 7] = 1.0
    aug = GalaxyAugmentation(
        rotation=False,
        flip=False,
        zoom=(1, 1),
        shift=0,
        blur=1.0,
        blur_sigma=(1.0, 1.0),
        noise=0,
        brightness=0,
    )
    out = aug(x)
    assert torch.allclose(out.sum(dim=(1, 2, 3)), torch.ones(2), atol=1e-5)
    assert out[0, 0, 7, 7] < 0.3


def test_moco_queue_advances_and_momentum_encoder_follows():
    torch.manual_seed(0)
    moco = MoCo(
        ImageInput([0.5], [0.25], min_size=8),
        build_backbone("simple_cnn", 1, 16),
        GalaxyAugmentation(),
        queue_size=12,
        momentum=0.5,
    )
    queue = moco.queue.clone()
    optimizer = torch.optim.SGD(moco.encoder_q.parameters(), lr=0.1)
    logits, labels = moco(torch.rand(8, 1, 16, 16))
    torch.nn.functional.cross_entropy(logits, labels).backward()
    optimizer.step()
    assert logits.shape == (8, 13)
    assert int(moco.queue_ptr) == 8
    assert not torch.equal(moco.queue[:8], queue[:8])
    assert torch.equal(moco.queue[8:], queue[8:])
    k_before = [p.clone() for p in moco.encoder_k.parameters()]
    moco(torch.rand(8, 1, 16, 16))  # wraps around the queue
    assert int(moco.queue_ptr) == 4
    q_params = list(moco.encoder_q.parameters())
    for k_old, k_new, q in zip(k_before, moco.encoder_k.parameters(), q_params):
        assert torch.allclose(k_new, 0.5 * k_old + 0.5 * q)
    assert all(not p.requires_grad for p in moco.encoder_k.parameters())


@pytest.mark.parametrize("align", [True, False])
def test_moco_views_are_aligned_after_they_are_drawn(align):
    # an elongated galaxy at 30 degrees; the views rotate it at random
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    t = math.radians(30)
    u = (xx - 15.5) * math.cos(t) + (yy - 15.5) * math.sin(t)
    v = -(xx - 15.5) * math.sin(t) + (yy - 15.5) * math.cos(t)
    galaxy = torch.exp(-0.5 * ((u / 5) ** 2 + (v / 1.5) ** 2))
    image_input = ImageInput([0.0], [1.0], align=align)
    rotate_only = GalaxyAugmentation(
        zoom=(1.0, 1.0), shift=0.0, blur=0.0, noise=0.0, brightness=0.0
    )
    moco = MoCo(image_input, build_backbone("simple_cnn", 1, 32), rotate_only)
    seen = []
    moco.encoder_q.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    torch.manual_seed(0)
    moco(galaxy.expand(16, 1, 32, 32).clone())
    angles = torch.rad2deg(major_axis_angle(seen[0])).abs()
    if align:
        assert angles.max() < 3  # every view lies along x
    else:
        assert angles.max() > 45  # the views keep their random angles


def test_state_dict_files_load_with_prefixes_and_fail_clearly(tmp_path):
    source = build_backbone("resnet18", 3, 32)
    path = tmp_path / "weights.pt"
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, path)
    target = build_backbone("resnet18", 3, 32)
    load_backbone_weights(target, read_state_dict(path))
    for a, b in zip(source.state_dict().values(), target.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="shape mismatch"):
        load_backbone_weights(build_backbone("resnet18", 3, 128), read_state_dict(path))
    with pytest.raises(FileNotFoundError):
        read_state_dict(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="weights_only=True"):
        read_state_dict(tmp_path / "junk.pt")


def test_pickled_code_is_refused(tmp_path):
    import pickle

    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"w": torch.zeros(1), "code": print}, f)
    with pytest.raises(ValueError, match="weights_only=True"):
        read_state_dict(path)


@pytest.mark.parametrize("arch", ["resnet18", "vgg16"])
def test_imagenet_weights_are_read_as_tensors_only(monkeypatch, arch):
    import torchvision.models as tvm
    from torchvision.models._api import WeightsEnum

    reference = tvm.get_model(arch, weights=None).state_dict()
    reference = {
        k: torch.full_like(v, 0.5) if v.is_floating_point() else v
        for k, v in reference.items()
    }
    calls = []

    def get_state_dict(self, *args, **kwargs):  # the download, without a network
        calls.append(kwargs)
        return reference

    monkeypatch.setattr(WeightsEnum, "get_state_dict", get_state_dict)
    backbone = build_backbone(arch, 3, 64, "imagenet")
    assert calls == [{"progress": True, "check_hash": True, "weights_only": True}]
    conv = next(m for m in backbone.modules() if isinstance(m, torch.nn.Conv2d))
    assert torch.all(conv.weight == 0.5)
