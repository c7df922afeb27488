"""The effective receptive field (`quiz.engine.erf`) against references that do not use it.

- A stack of n k x k stride-1 valid convs with all-ones weights: the gradient of a unit is the
  n-fold 2-D convolution of k x k boxes, the outer product of two n-fold 1-D box convolutions
  (`numpy.convolve`), whose variance is n (k² - 1) / 12 per axis.
- Any stack of convs: by linearity, the gradient at a pixel is the unit's response to a
  one-hot at that pixel, run forward through the engine's `ops.conv2d` (padding included).
- Its support equals the theoretical field of `quiz.engine.receptive` wherever that field
  lies inside the image (strided, dilated, residual and concatenated nets).
- Its mass is the product of the kernels' areas for valid windows.
"""

from __future__ import annotations

from functools import reduce
from pathlib import Path

import numpy as np
import pytest

from quiz.engine import layers as L
from quiz.engine import load_net, ops, run_net
from quiz.engine.erf import Box, EffectiveField, effective_field, net_effective_field, select_row
from quiz.engine.network import NetRun

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"


def box_convolution(k: int, n: int) -> np.ndarray:
    """The n-fold convolution of a length-k box with itself (1-D)."""
    return reduce(np.convolve, [np.ones(k)] * n)


def field_crop(field: EffectiveField) -> np.ndarray:
    box = field.theoretical
    assert box is not None
    return field.values[box.top:box.bottom + 1, box.left:box.right + 1]


@pytest.mark.parametrize(("kernel", "n"), [((3, 3), 1), ((3, 3), 3), ((5, 5), 2), ((2, 2), 4),
                                           ((3, 5), 3)])
def test_valid_stride1_stack_is_the_nfold_box_convolution(kernel: tuple[int, int],
                                                          n: int) -> None:
    layers = [L.Conv2d(1, 1, kernel, 1, 0, bias=False) for _ in range(n)]
    field = effective_field(layers, (40, 41))
    expected = np.outer(box_convolution(kernel[0], n), box_convolution(kernel[1], n))
    np.testing.assert_array_equal(field_crop(field), expected)
    assert field.mass == (kernel[0] * kernel[1]) ** n
    assert np.count_nonzero(field.values) == expected.size  # nothing outside the field


@pytest.mark.parametrize(("k", "n"), [(3, 2), (3, 6), (5, 4), (7, 3)])
def test_spread_is_the_box_stack_standard_deviation(k: int, n: int) -> None:
    field = effective_field([L.Conv2d(1, 1, k, 1, 0, bias=False) for _ in range(n)], (64, 64))
    expected = np.sqrt(n * (k * k - 1) / 12)  # variance of a uniform on k points, n times
    assert field.spread() == pytest.approx((expected, expected))


def test_effective_field_shrinks_against_the_theoretical_one_with_depth() -> None:
    """Luo et al.: the theoretical field grows as n, the effective one as √n."""
    ratios = []
    for n in (2, 4, 8, 16):
        field = effective_field([L.Conv2d(1, 1, 3, 1, 1, bias=False) for _ in range(n)],
                                (80, 80))
        assert field.theoretical is not None
        ratios.append(field.spread()[0] / field.theoretical.size[0])
    assert ratios == sorted(ratios, reverse=True) and ratios[-1] < ratios[0] / 2


def forward_response(layers: list[L.Conv2d], hw: tuple[int, int],
                     unit: tuple[int, int]) -> np.ndarray:
    """The unit's value for a one-hot at every input pixel, with all-ones weights."""
    image = np.zeros(hw)
    for r in range(hw[0]):
        for c in range(hw[1]):
            x = np.zeros((1, 1, *hw))
            x[0, 0, r, c] = 1.0
            for layer in layers:
                x = ops.conv2d(x, np.ones((1, 1, *layer.kernel_size)), stride=layer.stride,
                               padding=layer.padding, dilation=layer.dilation)
            image[r, c] = x[0, 0, unit[0], unit[1]]
    return image


@pytest.mark.parametrize(("layers", "hw"), [
    ([L.Conv2d(1, 1, 3, 2, 1, bias=False), L.Conv2d(1, 1, 3, 1, 1, bias=False)], (13, 13)),
    ([L.Conv2d(1, 1, 3, 1, 2, 2, bias=False), L.Conv2d(1, 1, (2, 3), (1, 2), 0, bias=False)],
     (11, 14)),
    ([L.Conv2d(1, 1, 5, 2, 2, bias=False)] * 3, (16, 16)),  # the unit's field runs past the edge
])
def test_gradient_equals_the_forward_response_to_one_hots(layers: list[L.Conv2d],
                                                          hw: tuple[int, int]) -> None:
    field = effective_field(layers, hw)
    np.testing.assert_allclose(field.values, forward_response(layers, hw, field.unit))


@pytest.mark.parametrize("layers", [
    [L.Conv2d(1, 1, 3, 2, 0, bias=False), L.MaxPool2d(2, 2), L.Conv2d(1, 1, (3, 5), 1, 0, 2,
                                                                      bias=False)],
    [L.Conv2d(1, 1, 7, 2, 0, bias=False), L.AvgPool2d(3, 1), L.Conv2d(1, 1, 1, bias=False),
     L.MaxPool2d(3, 2, dilation=2)],
    [L.Conv2d(1, 1, 3, 3, 0, 3, bias=False)] * 3,
])
def test_mass_is_the_product_of_kernel_areas_for_valid_windows(layers: list[L.Layer]) -> None:
    field = effective_field(layers, (120, 110))
    areas = []
    for layer in layers:
        window = layer.window((1, 1))
        assert window is not None
        areas.append(window.kernel[0] * window.kernel[1])
    assert field.mass == float(np.prod(areas))


def run_file(name: str, shape: tuple[int, int, int]) -> NetRun:
    return run_net(load_net(NETS / name), shape, dtype=np.float32)


@pytest.mark.parametrize(("name", "shape"), [
    ("dilated_246.net", (1, 64, 64)),
    ("dilated_125.net", (1, 48, 40)),
    ("resnet18.net", (3, 224, 224)),  # strided convs, max pooling, projection shortcuts
    ("inception_mini.net", (3, 64, 64)),  # concatenated branches
    ("mobilenet_v1.net", (3, 224, 224)),  # TensorFlow SAME padding, depthwise convs
])
def test_support_is_the_theoretical_field_inside_the_image(name: str,
                                                           shape: tuple[int, int, int]) -> None:
    run = run_file(name, shape)
    checked = 0
    for row in range(len(run.layers)):
        try:
            field = net_effective_field(run, row)
        except ValueError:  # flatten / fc: no field
            continue
        box = field.theoretical
        if box is None or box.top < 0 or box.left < 0 or box.bottom >= shape[1] \
                or box.right >= shape[2]:
            continue  # the field runs into the padding: the support is smaller
        assert field.support == box, run.layers[row].name
        inside = field_crop(field)
        assert field.rf is not None and bool((inside == 0).any()) == field.rf.holes
        checked += 1
    assert checked >= 3


def test_gridding_leaves_exactly_the_odd_offsets_empty() -> None:
    """Rates 2, 4, 6: every offset is a sum of even steps, so odd rows / columns get nothing."""
    field = net_effective_field(run_file("dilated_246.net", (1, 64, 64)), 4)
    crop = field_crop(field)
    offsets = np.arange(crop.shape[0]) - crop.shape[0] // 2
    even = offsets % 2 == 0
    np.testing.assert_array_equal(crop > 0, np.outer(even, even))


@pytest.mark.parametrize("layers", [
    [L.Conv2d(1, 1, 3, 1, 1, bias=False)] * 6,
    [L.Conv2d(1, 1, 5, 1, 2, bias=False), L.AvgPool2d(3, 1, 1), L.Conv2d(1, 1, 3, 1, 1,
                                                                         bias=False)],
    [L.Conv2d(1, 1, (3, 5), 1, (1, 2), bias=False), L.MaxPool2d(3, 1, 1)] * 2,
])
def test_stride1_gradient_peaks_at_the_centre(layers: list[L.Layer]) -> None:
    """Luo et al.'s Gaussian-like shape: the centre of the field is its largest value, and
    the value rises towards it along the centre row."""
    field = effective_field(layers, (96, 96))
    box = field.theoretical
    assert box is not None and box.size[0] % 2 == 1 and box.size[1] % 2 == 1
    centre = ((box.top + box.bottom) // 2, (box.left + box.right) // 2)
    assert field.values[centre] == field.values.max()
    row = field.values[centre[0], box.left:centre[1] + 1]
    assert (np.diff(row) > 0).all()


@pytest.mark.parametrize("layers", [
    [L.Conv2d(1, 1, 3, 2, 1, bias=False), L.Conv2d(1, 1, 3, 1, 1, bias=False)] * 3,
    [L.Conv2d(1, 1, 7, 2, 3, bias=False), L.MaxPool2d(3, 2, 1),
     L.Conv2d(1, 1, 3, 1, 1, bias=False), L.Conv2d(1, 1, 3, 1, 1, bias=False)],
])
def test_strided_gradient_is_concentrated_in_the_centre(layers: list[L.Layer]) -> None:
    """With strides the windows overlap unevenly (a checkerboard: the centre pixel need not
    be the largest), yet the central half of the field, a quarter of its area or so, holds
    most of the gradient and its peak."""
    field = effective_field(layers, (96, 96))
    crop = field_crop(field)
    rows, cols = crop.shape
    inner = crop[rows // 4:rows - rows // 4, cols // 4:cols - cols // 4]
    assert inner.size < crop.size / 3
    assert inner.sum() > crop.sum() / 2 and inner.max() == crop.max()


def test_select_row_by_number_and_unique_name() -> None:
    run = run_file("dilated_125.net", (1, 32, 32))
    assert select_row(run, "5") == 4
    assert select_row(run, "conv 3x3 d5") == 4
    with pytest.raises(ValueError, match=r"2 layers are named 'relu' \(rows 2, 4\)"):
        select_row(run, "relu")
    with pytest.raises(ValueError, match="rows 1 to 5"):
        select_row(run, "6")
    with pytest.raises(ValueError, match="no layer named 'fc'"):
        select_row(run, "fc")


@pytest.mark.parametrize(("text", "row", "message"), [
    ("input 1x16x16\nconv 4 k3\nflatten\nfc 10 name=head", "head", "'head' has no receptive"),
    ("input 1x16x16\nconv 4 k3 s2\nconvT 4 k4 s2 p1 name=up", "up", "'up' has no receptive"),
    ("input 1x16x16\nconv 4 k3\nupsample x2\nconv 4 k3 name=after", "after",
     "'after' has no receptive"),
])
def test_layers_without_a_field_are_refused(text: str, row: str, message: str) -> None:
    run = run_net(text)
    with pytest.raises(ValueError, match=message):
        net_effective_field(run, select_row(run, row))


def test_theoretical_box_follows_start_and_jump() -> None:
    """Unit q of a stride-4 map sees input rows start + 4q onwards."""
    layers = [L.Conv2d(1, 1, 3, 2, 1, bias=False), L.Conv2d(1, 1, 3, 2, 1, bias=False)]
    field = effective_field(layers, (32, 20))
    assert field.unit == (4, 2)
    # size 3 + 2 * 2 = 7, start -1 - 1 * 2 = -3, jump 4
    assert field.theoretical == Box(-3 + 16, -3 + 8, -3 + 16 + 6, -3 + 8 + 6)
