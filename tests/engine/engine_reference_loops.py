"""Direct-loop reference implementations (slow, obviously correct) used only by the tests."""

from __future__ import annotations

import math

import numpy as np


def conv2d_loops(x, w, b, stride, pad, dil, groups):
    """pad = ((top, bottom), (left, right))."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (pt, pb), (pl, pr) = pad
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    oh = (h + pt + pb - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pl + pr - dil[1] * (kw - 1) - 1) // stride[1] + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for ni in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0 if b is None else b[oc]
                    for ci in range(cg):
                        for u in range(kh):
                            for v in range(kw):
                                acc += (w[oc, ci, u, v]
                                        * xp[ni, g * cg + ci, i * stride[0] + u * dil[0],
                                             j * stride[1] + v * dil[1]])
                    out[ni, oc, i, j] = acc
    return out


def conv_transpose2d_loops(x, w, b, stride, pad, out_pad, groups, dil):
    """Scatter each input pixel times the kernel onto the output (definition of convT)."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full_h = (h - 1) * stride[0] + dil[0] * (kh - 1) + 1 + out_pad[0]
    full_w = (wd - 1) * stride[1] + dil[1] * (kw - 1) + 1 + out_pad[1]
    full = np.zeros((n, og * groups, full_h, full_w))
    for ni in range(n):
        for ci in range(c):
            g = ci // cg
            for i in range(h):
                for j in range(wd):
                    for oc in range(og):
                        for u in range(kh):
                            for v in range(kw):
                                r = i * stride[0] + u * dil[0]
                                q = j * stride[1] + v * dil[1]
                                full[ni, g * og + oc, r, q] += x[ni, ci, i, j] * w[ci, oc, u, v]
    out = full[:, :, pad[0]:full_h - pad[0], pad[1]:full_w - pad[1]]
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def pool_out_len(size, k, s, p, d, ceil):
    """Output length from the textbook formula, ceil rule stated separately."""
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    n = (math.ceil(num / s) if ceil else num // s) + 1
    # PyTorch: in ceil mode the last window must start inside the input or left padding
    if ceil and (n - 1) * s >= size + p:
        n -= 1
    return n


def max_pool2d_loops(x, k, s, p, d, ceil):
    n, c, h, w = x.shape
    oh = pool_out_len(h, k[0], s[0], p[0], d[0], ceil)
    ow = pool_out_len(w, k[1], s[1], p[1], d[1], ceil)
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(oh):
        for j in range(ow):
            for u in range(k[0]):
                for v in range(k[1]):
                    r = i * s[0] - p[0] + u * d[0]
                    q = j * s[1] - p[1] + v * d[1]
                    if 0 <= r < h and 0 <= q < w:
                        out[:, :, i, j] = np.maximum(out[:, :, i, j], x[:, :, r, q])
    return out


def avg_pool2d_loops(x, k, s, p, ceil, count_include_pad):
    """Mirror of ATen's avg_pool2d CPU kernel, one window at a time."""
    n, c, h, w = x.shape
    oh = pool_out_len(h, k[0], s[0], p[0], 1, ceil)
    ow = pool_out_len(w, k[1], s[1], p[1], 1, ceil)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * s[0] - p[0], j * s[1] - p[1]
            he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
            pool_size = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            total = x[:, :, hs:he, ws:we].sum(axis=(2, 3))
            div = pool_size if count_include_pad else (he - hs) * (we - ws)
            out[:, :, i, j] = total / div
    return out


def adaptive_avg_loops(x, oh, ow):
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        hs, he = (i * h) // oh, math.ceil((i + 1) * h / oh)
        for j in range(ow):
            ws, we = (j * w) // ow, math.ceil((j + 1) * w / ow)
            out[:, :, i, j] = x[:, :, hs:he, ws:we].mean(axis=(2, 3))
    return out
