# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch re-implementations of the models Nondeep Explorer runs.

Module names follow the official code (see docs/reference/networks.md), so `state_dict()` keys
equal the keys of the published checkpoints:

- ParNet      (imankgoyal/NonDeepNetworks `SimpNet` + `RepVGGOur` + `RepVGGBlock`)
- RepVGG      (DingXiaoH/RepVGG `RepVGG` + `RepVGGBlock`)
- VanillaNet  (huawei-noah/VanillaNet `VanillaNet` + `Block` + `activation`)
- ResNet-18/50 and VGG-16 with torchvision's module names (the deep foils used by the benchmark).

Entry points:
    build(name, classes=, in_channels=, width=, resolution=, blocks=, deploy=)   -> nn.Module
    to_deploy(model)           -> a new model in the fused / deploy form (official deploy keys)
    init_random(model, seed)   -> deterministic weights with non-trivial BN statistics
    count_params(model), MODEL_NAMES

Knob rules (the C runtime must use the same ones):
    width w: every stage width c becomes even_width(c, w) = max(2, 2*floor(c*w/2 + 0.5)).
    ParNet stem width = min(64, c0');  RepVGG stage0 width = min(64, stage1 width').
    VanillaNet: every entry of `dims` is scaled the same way.
"""
import copy
import math
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


def even_width(c, w):
    """Width c scaled by w, rounded half-up to an even integer >= 2 (C: 2*(int)floor(c*w/2+0.5))."""
    if w == 1.0:
        return int(c)
    return max(2, 2 * int(math.floor(c * w / 2.0 + 0.5)))


def channel_shuffle(x, groups):
    """out[:, j*g + i] = in[:, i*(C/g) + j]."""
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


def conv_bn(cin, cout, k, stride, pad, groups=1, eps=1e-5, bias=False):
    m = nn.Sequential()
    m.add_module('conv', nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=bias))
    m.add_module('bn', nn.BatchNorm2d(cout, eps=eps))
    return m


def fold_bn(weight, bias, bn):
    """Fold an eval-mode BN into the conv before it (docs/reference/networks.md §0.1). Returns (W', b')."""
    t = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = weight * t.reshape(-1, *([1] * (weight.dim() - 1)))
    b0 = bias if bias is not None else torch.zeros_like(bn.running_mean)
    return w, bn.bias + (b0 - bn.running_mean) * t


def bn_as_kernel(bn, cin, groups, k=3):
    """Identity BN as a kxk grouped kernel + bias (docs/reference/networks.md §0.3)."""
    ipg = cin // groups
    kid = torch.zeros(cin, ipg, k, k, dtype=bn.weight.dtype)
    for i in range(cin):
        kid[i, i % ipg, k // 2, k // 2] = 1.0
    t = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return kid * t.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * t


# ---------------------------------------------------------------------------------------------
# ParNet
# ---------------------------------------------------------------------------------------------

class ConvSig(nn.Module):
    def __init__(self, cin, cout, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, 1, 0, groups=groups, bias=False)

    def forward(self, x):
        return torch.sigmoid(self.conv(x))


class SE1(nn.Module):
    """GAP -> 1x1 conv (no bias) -> sigmoid, times 2 when ver == 2 (case B)."""

    def __init__(self, cin, cout, groups=1, ver=1):
        super().__init__()
        self.ver = ver
        self.cvsig = ConvSig(cin, cout, groups)

    def forward(self, x):
        g = self.cvsig(F.adaptive_avg_pool2d(x, 1))
        return 2 * g if self.ver == 2 else g


class ParNetBlock(nn.Module):
    """The official ParNet `RepVGGBlock` (docs/reference/networks.md §1.1), always with SE, AvgPool 1x1 branch."""

    def __init__(self, cin, cout, stride=1, groups=1, act='silu', fused=False):
        super().__init__()
        self.cin, self.cout, self.stride, self.groups = cin, cout, stride, groups
        self.fused = fused
        self.act = nn.SiLU() if act == 'silu' else nn.ReLU()
        self.rbr_identity = nn.BatchNorm2d(cin) if (cin == cout and stride == 1) else None
        if fused:
            self.rbr_dense = nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=True)
            self.rbr_1x1 = None
        else:
            self.rbr_dense = conv_bn(cin, cout, 3, stride, 1, groups)
            if stride == 2:
                self.rbr_1x1 = nn.Sequential(nn.AvgPool2d(2, 2), conv_bn(cin, cout, 1, 1, 0, groups))
            else:
                self.rbr_1x1 = conv_bn(cin, cout, 1, stride, 0, groups)
        self.se = SE1(cin, cout, groups, ver=1 if self.rbr_identity is not None else 2)

    def forward(self, x):
        out = self.rbr_dense(x)
        if not self.fused:
            out = out + self.rbr_1x1(x)
        if self.rbr_identity is not None:          # case A: RepVGG-SSE
            idn = self.rbr_identity(x)
            out = out + idn * self.se(idn)
        else:                                      # case B: 2*sigmoid gate from the input
            out = out * self.se(x)
        out = self.act(out)
        if self.groups > 1:
            out = channel_shuffle(out, self.groups)
        return out

    def fused_kernel_bias(self):
        w3, b3 = fold_bn(self.rbr_dense.conv.weight, None, self.rbr_dense.bn)
        if self.stride == 2:
            cb = self.rbr_1x1[1]
            w1, b1 = fold_bn(cb.conv.weight, None, cb.bn)
            w1 = F.interpolate(w1, scale_factor=2.0, mode='nearest') / 4
            w1 = F.pad(w1, [1, 0, 1, 0])
        else:
            w1, b1 = fold_bn(self.rbr_1x1.conv.weight, None, self.rbr_1x1.bn)
            w1 = F.pad(w1, [1, 1, 1, 1])
        return w3 + w1, b3 + b1


class RepVGGOur(nn.Module):
    def __init__(self, cin, cout, stride=1, groups=1, act='silu', fused=False):
        super().__init__()
        self.block = ParNetBlock(cin, cout, stride, groups, act, fused)

    def forward(self, x):
        return self.block(x)


class MultiBatchNorm2d(nn.Module):
    def __init__(self, n1, n2):
        super().__init__()
        self.b1 = nn.BatchNorm2d(n1)
        self.b2 = nn.BatchNorm2d(n2)

    def forward(self, x):
        return (self.b1(x[0]), self.b2(x[1]))


class Concat2d(nn.Module):
    """Interleaved concat: z[:, 2c] = a[:, c], z[:, 2c+1] = b[:, c]."""

    def forward(self, x):
        a, b = x
        n, c, h, w = a.shape
        return torch.stack([a, b], dim=2).reshape(n, 2 * c, h, w)


class ClassifierHead(nn.Module):
    def __init__(self, cin, classes, drop=0.0):
        super().__init__()
        self.drop = drop
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        if self.drop > 0:
            x = F.dropout(x, self.drop, self.training)
        return self.fc(x)


PARNET_VARIANTS = {
    's': ((92, 192, 384, 1280), 0.0),
    'm': ((128, 256, 512, 2048), 0.0),
    'l': ((160, 320, 640, 2560), 0.1),
    'xl': ((200, 400, 800, 3200), 0.1),
}


class ParNet(nn.Module):
    """`SimpNet` with 3 streams. blocks = RepVGG-SSE blocks per stream (official 4,5,5)."""

    def __init__(self, planes, classes=1000, in_channels=3, blocks=(4, 5, 5), drop=0.0,
                 fused=False, act='silu', resolution=224):
        super().__init__()
        c0, c1, c2, clast = planes
        self.planes, self.resolution, self.fused = tuple(planes), resolution, fused
        B = lambda i, o, s, g=1: RepVGGOur(i, o, s, g, act, fused)  # noqa: E731
        stem = min(64, c0)
        self.inits = nn.ModuleList([
            nn.Sequential(B(in_channels, stem, 2), B(stem, c0, 2)),
            B(c0, c1, 2),
            B(c1, c2, 2),
        ])
        self.streams = nn.ModuleList([
            nn.Sequential(*[B(c, c, 1) for _ in range(n)]) for c, n in zip((c0, c1, c2), blocks)])
        self.downsamples_2 = nn.ModuleList([
            B(c0, c1, 2),
            nn.Sequential(MultiBatchNorm2d(c1, c1), Concat2d(), B(2 * c1, c2, 2, 2)),
        ])
        self.combine = nn.Sequential(MultiBatchNorm2d(c2, c2), Concat2d(), B(2 * c2, c2, 1, 2),
                                     B(c2, clast, 2))
        self.head = ClassifierHead(clast, classes, drop)

    def forward(self, img):
        if not self.fused and (img.shape[-1] % 32 or img.shape[-2] % 32):
            raise ValueError('unfused ParNet needs H and W divisible by 32')
        x0 = self.inits[0](img)
        x1 = self.inits[1](x0)
        x2 = self.inits[2](x1)
        y = self.downsamples_2[0](self.streams[0](x0))
        y = self.downsamples_2[1]((self.streams[1](x1), y))
        out = self.combine((self.streams[2](x2), y))
        return self.head(out)


def parnet_deploy_state_dict(model):
    sd = OrderedDict()
    fused = {}
    for name, m in model.named_modules():
        if isinstance(m, ParNetBlock):
            fused[name] = m.fused_kernel_bias()
    for k, v in model.state_dict().items():
        blk = next((b for b in fused if k.startswith(b + '.rbr_')), None)
        if blk is not None and (k.startswith(blk + '.rbr_dense.') or k.startswith(blk + '.rbr_1x1.')):
            if k == blk + '.rbr_dense.conv.weight':
                sd[blk + '.rbr_dense.weight'] = fused[blk][0].detach().clone()
                sd[blk + '.rbr_dense.bias'] = fused[blk][1].detach().clone()
            continue
        sd[k] = v.detach().clone()
    return sd


# ---------------------------------------------------------------------------------------------
# RepVGG
# ---------------------------------------------------------------------------------------------

class RepVGGBlock(nn.Module):
    def __init__(self, cin, cout, stride=1, groups=1, deploy=False):
        super().__init__()
        self.cin, self.cout, self.stride, self.groups, self.deploy = cin, cout, stride, groups, deploy
        if deploy:
            self.rbr_reparam = nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=True)
        else:
            self.rbr_identity = nn.BatchNorm2d(cin) if (cin == cout and stride == 1) else None
            self.rbr_dense = conv_bn(cin, cout, 3, stride, 1, groups)
            self.rbr_1x1 = conv_bn(cin, cout, 1, stride, 0, groups)

    def forward(self, x):
        if self.deploy:
            return F.relu(self.rbr_reparam(x))
        out = self.rbr_dense(x) + self.rbr_1x1(x)
        if self.rbr_identity is not None:
            out = out + self.rbr_identity(x)
        return F.relu(out)

    def fused_kernel_bias(self):
        w, b = fold_bn(self.rbr_dense.conv.weight, None, self.rbr_dense.bn)
        w1, b1 = fold_bn(self.rbr_1x1.conv.weight, None, self.rbr_1x1.bn)
        w, b = w + F.pad(w1, [1, 1, 1, 1]), b + b1
        if self.rbr_identity is not None:
            wi, bi = bn_as_kernel(self.rbr_identity, self.cin, self.groups)
            w, b = w + wi, b + bi
        return w, b


REPVGG_VARIANTS = {  # blocks per stage 1..4, (a, b)
    'a0': ((2, 4, 14, 1), (0.75, 2.5)), 'a1': ((2, 4, 14, 1), (1, 2.5)),
    'a2': ((2, 4, 14, 1), (1.5, 2.75)), 'b0': ((4, 6, 16, 1), (1, 2.5)),
    'b1': ((4, 6, 16, 1), (2, 4)), 'b2': ((4, 6, 16, 1), (2.5, 5)), 'b3': ((4, 6, 16, 1), (3, 5)),
}


class RepVGG(nn.Module):
    """groups: applied on global layers 2,4,...,26 (stage 0 never grouped), as the official map."""

    def __init__(self, blocks, ab, classes=1000, in_channels=3, width=1.0, groups=1, deploy=False,
                 resolution=224):
        super().__init__()
        a, b = ab
        self.resolution = resolution
        widths = [even_width(int(64 * a), width), even_width(int(128 * a), width),
                  even_width(int(256 * a), width), even_width(int(512 * b), width)]
        c = min(64, widths[0])
        self.stage0 = RepVGGBlock(in_channels, c, 2, 1, deploy)
        layer = 1
        for s, (n, cout) in enumerate(zip(blocks, widths)):
            mods = []
            for i in range(n):
                g = groups if (layer % 2 == 0 and layer <= 26) else 1
                mods.append(RepVGGBlock(c, cout, 2 if i == 0 else 1, g, deploy))
                c = cout
                layer += 1
            setattr(self, 'stage%d' % (s + 1), nn.Sequential(*mods))
        self.linear = nn.Linear(c, classes)

    def forward(self, x):
        x = self.stage0(x)
        x = self.stage4(self.stage3(self.stage2(self.stage1(x))))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def repvgg_deploy_state_dict(model):
    sd = OrderedDict()
    for name, m in model.named_modules():
        if isinstance(m, RepVGGBlock):
            w, b = m.fused_kernel_bias()
            sd[name + '.rbr_reparam.weight'] = w.detach().clone()
            sd[name + '.rbr_reparam.bias'] = b.detach().clone()
    sd['linear.weight'] = model.linear.weight.detach().clone()
    sd['linear.bias'] = model.linear.bias.detach().clone()
    return sd


# ---------------------------------------------------------------------------------------------
# VanillaNet
# ---------------------------------------------------------------------------------------------

class VNActivation(nn.Module):
    """Series activation: BN(DWConv_kxk(ReLU(x))) (train) or DWConv_kxk+bias(ReLU(x)) (deploy)."""

    def __init__(self, dim, act_num=3, deploy=False):
        super().__init__()
        self.dim, self.act_num, self.deploy = dim, act_num, deploy
        k = 2 * act_num + 1
        self.weight = nn.Parameter(torch.zeros(dim, 1, k, k))
        if deploy:
            self.bias = nn.Parameter(torch.zeros(dim))
        else:
            self.bias = None
            self.bn = nn.BatchNorm2d(dim, eps=1e-6)

    def forward(self, x):
        y = F.conv2d(F.relu(x), self.weight, self.bias, padding=self.act_num, groups=self.dim)
        return y if self.deploy else self.bn(y)

    def fused(self):
        return fold_bn(self.weight, None, self.bn)


class VNBlock(nn.Module):
    def __init__(self, dim, dim_out, act_num=3, stride=2, deploy=False):
        super().__init__()
        self.deploy = deploy
        self.act_learn = 1.0
        if deploy:
            self.conv = nn.Conv2d(dim, dim_out, 1)
        else:
            self.conv1 = nn.Sequential(nn.Conv2d(dim, dim, 1), nn.BatchNorm2d(dim, eps=1e-6))
            self.conv2 = nn.Sequential(nn.Conv2d(dim, dim_out, 1), nn.BatchNorm2d(dim_out, eps=1e-6))
        self.pool = nn.MaxPool2d(stride) if stride != 1 else nn.Identity()
        self.act = VNActivation(dim_out, act_num, deploy)

    def forward(self, x):
        if self.deploy:
            x = self.conv(x)
        else:
            x = self.conv2(F.leaky_relu(self.conv1(x), self.act_learn))
        return self.act(self.pool(x))


VANILLANET_VARIANTS = {}
for _n in range(5, 14):
    if _n == 5:
        _dims, _strides = [512, 1024, 2048, 4096], [2, 2, 2]
    elif _n == 6:
        _dims, _strides = [512, 1024, 2048, 4096, 4096], [2, 2, 2, 1]
    else:
        _dims = [512, 512, 1024, 2048] + [2048] * (_n - 7) + [4096, 4096]
        _strides = [1, 2, 2] + [1] * (_n - 7) + [2, 1]
    VANILLANET_VARIANTS[str(_n)] = (_dims, _strides)
VANILLANET_VARIANTS['13-x1.5'] = ([d * 3 // 2 for d in VANILLANET_VARIANTS['13'][0]],
                                  VANILLANET_VARIANTS['13'][1])


class VanillaNet(nn.Module):
    def __init__(self, dims, strides, classes=1000, in_channels=3, act_num=3, drop=0.0,
                 deploy=False, resolution=224):
        super().__init__()
        self.deploy, self.resolution, self.act_learn = deploy, resolution, 1.0
        self.drop = drop
        if deploy:
            self.stem = nn.Sequential(nn.Conv2d(in_channels, dims[0], 4, 4),
                                      VNActivation(dims[0], act_num, True))
        else:
            self.stem1 = nn.Sequential(nn.Conv2d(in_channels, dims[0], 4, 4),
                                       nn.BatchNorm2d(dims[0], eps=1e-6))
            self.stem2 = nn.Sequential(nn.Conv2d(dims[0], dims[0], 1),
                                       nn.BatchNorm2d(dims[0], eps=1e-6),
                                       VNActivation(dims[0], act_num))
        self.stages = nn.ModuleList([VNBlock(dims[i], dims[i + 1], act_num, s, deploy)
                                     for i, s in enumerate(strides)])
        if deploy:
            self.cls = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Dropout(drop),
                                     nn.Conv2d(dims[-1], classes, 1))
        else:
            self.cls1 = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Dropout(drop),
                                      nn.Conv2d(dims[-1], classes, 1),
                                      nn.BatchNorm2d(classes, eps=1e-6))
            self.cls2 = nn.Sequential(nn.Conv2d(classes, classes, 1))

    def change_act(self, lam):
        """Deep-training slope: leaky_relu(x, lam) = (1-lam)*ReLU(x) + lam*x."""
        self.act_learn = float(lam)
        for s in self.stages:
            s.act_learn = float(lam)

    def forward(self, x):
        if self.deploy:
            x = self.stem(x)
        else:
            x = self.stem2(F.leaky_relu(self.stem1(x), self.act_learn))
        for s in self.stages:
            x = s(x)
        if self.deploy:
            x = self.cls(x)
        else:
            x = self.cls2(F.leaky_relu(self.cls1(x), self.act_learn))
        return x.view(x.size(0), -1)


def _merge_1x1(w2, b2, w1, b1):
    """(W2,b2) after (W1,b1), W2 1x1: W = W2·W1 (any W1 kernel), b = b2 + W2·b1."""
    m2 = w2.reshape(w2.shape[0], w2.shape[1])
    w = torch.einsum('oi,icjk->ocjk', m2, w1)
    return w, b2 + m2 @ b1


def vanillanet_deploy_state_dict(model):
    if model.act_learn != 1.0:
        raise ValueError('VanillaNet merges exactly only at lambda = 1 (got %g)' % model.act_learn)
    sd = OrderedDict()
    w1, b1 = fold_bn(model.stem1[0].weight, model.stem1[0].bias, model.stem1[1])
    w2, b2 = fold_bn(model.stem2[0].weight, model.stem2[0].bias, model.stem2[1])
    sd['stem.0.weight'], sd['stem.0.bias'] = _merge_1x1(w2, b2, w1, b1)
    sd['stem.1.weight'], sd['stem.1.bias'] = model.stem2[2].fused()
    for i, s in enumerate(model.stages):
        w1, b1 = fold_bn(s.conv1[0].weight, s.conv1[0].bias, s.conv1[1])
        w2, b2 = fold_bn(s.conv2[0].weight, s.conv2[0].bias, s.conv2[1])
        sd['stages.%d.conv.weight' % i], sd['stages.%d.conv.bias' % i] = _merge_1x1(w2, b2, w1, b1)
        sd['stages.%d.act.weight' % i], sd['stages.%d.act.bias' % i] = s.act.fused()
    w1, b1 = fold_bn(model.cls1[2].weight, model.cls1[2].bias, model.cls1[3])
    sd['cls.2.weight'], sd['cls.2.bias'] = _merge_1x1(model.cls2[0].weight, model.cls2[0].bias,
                                                      w1, b1)
    return OrderedDict((k, v.detach().clone()) for k, v in sd.items())


# ---------------------------------------------------------------------------------------------
# ResNet-18/50, VGG-16 (torchvision module names)
# ---------------------------------------------------------------------------------------------

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, fused=False):
        super().__init__()
        bn = (lambda c: nn.Identity()) if fused else nn.BatchNorm2d
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=fused)
        self.bn1 = bn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=fused)
        self.bn2 = bn(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=fused), bn(planes))

    def forward(self, x):
        idn = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + idn)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, fused=False):
        super().__init__()
        bn = (lambda c: nn.Identity()) if fused else nn.BatchNorm2d
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=fused)
        self.bn1 = bn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=fused)
        self.bn2 = bn(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=fused)
        self.bn3 = bn(planes * 4)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=fused),
                                            bn(planes * 4))

    def forward(self, x):
        idn = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return F.relu(self.bn3(self.conv3(out)) + idn)


class ResNet(nn.Module):
    def __init__(self, block, layers, classes=1000, in_channels=3, width=1.0, fused=False,
                 resolution=224):
        super().__init__()
        self.resolution = resolution
        c = even_width(64, width)
        self.conv1 = nn.Conv2d(in_channels, c, 7, 2, 3, bias=fused)
        self.bn1 = nn.Identity() if fused else nn.BatchNorm2d(c)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        for i, n in enumerate(layers):
            planes = even_width(64 * 2 ** i, width)
            mods = []
            for j in range(n):
                mods.append(block(c, planes, 2 if (j == 0 and i > 0) else 1, fused))
                c = planes * block.expansion
            setattr(self, 'layer%d' % (i + 1), nn.Sequential(*mods))
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet_deploy_state_dict(model):
    """Fold every BN into its conv: keys conv1.weight/bias, layerX.Y.convZ.*, downsample.0.*."""
    sd = OrderedDict()
    mods = dict(model.named_modules())
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            if name.endswith('downsample.0'):
                bn = mods[name[:-1] + '1']
            else:
                bn = mods[name.rsplit('.', 1)[0] + '.bn' + name[-1] if '.' in name else 'bn1']
            w, b = fold_bn(m.weight, None, bn)
            sd[name + '.weight'], sd[name + '.bias'] = w.detach().clone(), b.detach().clone()
    sd['fc.weight'] = model.fc.weight.detach().clone()
    sd['fc.bias'] = model.fc.bias.detach().clone()
    return sd


class VGG(nn.Module):
    CFG16 = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M',
             512, 512, 512, 'M']

    def __init__(self, classes=1000, in_channels=3, width=1.0, resolution=224):
        super().__init__()
        self.resolution = resolution
        mods, c = [], in_channels
        for v in self.CFG16:
            if v == 'M':
                mods.append(nn.MaxPool2d(2, 2))
            else:
                v = even_width(v, width)
                mods += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*mods)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(c * 49, 4096), nn.ReLU(True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

MODEL_NAMES = (['parnet-' + v for v in PARNET_VARIANTS] +
               ['repvgg-' + v for v in REPVGG_VARIANTS] +
               ['repvgg-%s%s' % (v, g) for v in ('b1', 'b2', 'b3') for g in ('g2', 'g4')] +
               ['vanillanet-' + v for v in VANILLANET_VARIANTS] +
               ['resnet-18', 'resnet-50', 'vgg-16'])

_ALIASES = {'resnet18': 'resnet-18', 'resnet50': 'resnet-50', 'vgg16': 'vgg-16'}


def canonical_name(name):
    n = name.lower().replace('_', '-')
    n = _ALIASES.get(n, n)
    if n not in MODEL_NAMES:
        raise ValueError('unknown model %r (known: %s)' % (name, ', '.join(MODEL_NAMES)))
    return n


def build(name, classes=1000, in_channels=3, width=1.0, resolution=224, blocks=None,
          deploy=False, act_num=3, lam=1.0, drop=None):
    """Builds the training form (deploy=False) or the fused / deploy form of a preset."""
    name = canonical_name(name)
    fam, var = name.split('-', 1)
    if fam == 'parnet':
        planes, d = PARNET_VARIANTS[var]
        planes = [even_width(c, width) for c in planes]
        m = ParNet(planes, classes, in_channels, tuple(blocks or (4, 5, 5)),
                   d if drop is None else drop, deploy, resolution=resolution)
    elif fam == 'repvgg':
        g = 1
        if var[-2:] in ('g2', 'g4'):
            g, var = int(var[-1]), var[:-2]
        nb, ab = REPVGG_VARIANTS[var]
        m = RepVGG(tuple(blocks or nb), ab, classes, in_channels, width, g, deploy, resolution)
    elif fam == 'vanillanet':
        if blocks:
            raise ValueError('VanillaNet depth is set by the variant, not by blocks')
        dims, strides = VANILLANET_VARIANTS[var]
        dims = [even_width(c, width) for c in dims]
        m = VanillaNet(dims, strides, classes, in_channels, act_num, drop or 0.0, deploy,
                       resolution)
        m.change_act(lam)
    elif fam == 'resnet':
        blk, layers = (BasicBlock, (2, 2, 2, 2)) if var == '18' else (Bottleneck, (3, 4, 6, 3))
        m = ResNet(blk, tuple(blocks or layers), classes, in_channels, width, deploy, resolution)
    else:
        m = VGG(classes, in_channels, width, resolution)
    m.nd_name = name
    m.nd_knobs = dict(classes=classes, in_channels=in_channels, width=width,
                      resolution=resolution, blocks=blocks, act_num=act_num)
    return m


def deploy_state_dict(model):
    if isinstance(model, ParNet):
        return parnet_deploy_state_dict(model)
    if isinstance(model, RepVGG):
        return repvgg_deploy_state_dict(model)
    if isinstance(model, VanillaNet):
        return vanillanet_deploy_state_dict(model)
    if isinstance(model, ResNet):
        return resnet_deploy_state_dict(model)
    if isinstance(model, VGG):
        return OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    raise TypeError(type(model))


def to_deploy(model):
    """A new model in the fused / deploy form, numerically equivalent in eval mode."""
    with torch.no_grad():
        sd = deploy_state_dict(model)
    k = dict(model.nd_knobs)
    dm = build(model.nd_name, deploy=True, **k)
    dtype = next(model.parameters()).dtype
    dm = dm.to(dtype)
    dm.load_state_dict(sd, strict=True)
    if isinstance(model, VanillaNet):
        dm.change_act(1.0)
    return dm.eval()


def init_random(model, seed=0, bias_std=0.1):
    """Deterministic random weights: He-normal conv/linear weights (fan-in), biases N(0, bias_std),
    BN γ∈U[0.5,1.5], β,μ∼N(0,0.1), σ²∈U[0.5,2]. Values are drawn in float64 in state_dict order,
    so they do not depend on the model's dtype."""
    g = torch.Generator().manual_seed(seed)
    bns = {n for n, m in model.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)}
    with torch.no_grad():
        for k, t in model.state_dict(keep_vars=True).items():
            mod, leaf = k.rsplit('.', 1) if '.' in k else ('', k)
            if mod in bns:
                if leaf == 'weight':
                    v = 0.5 + torch.rand(t.shape, generator=g, dtype=torch.float64)
                elif leaf == 'bias' or leaf == 'running_mean':
                    v = 0.1 * torch.randn(t.shape, generator=g, dtype=torch.float64)
                elif leaf == 'running_var':
                    v = 0.5 + 1.5 * torch.rand(t.shape, generator=g, dtype=torch.float64)
                else:
                    t.zero_()
                    continue
            elif t.dim() >= 2:
                fan_in = t[0].numel()
                v = torch.randn(t.shape, generator=g, dtype=torch.float64) * math.sqrt(2.0 / fan_in)
            else:
                v = bias_std * torch.randn(t.shape, generator=g, dtype=torch.float64)
            t.copy_(v.to(t.dtype))
    return model


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def float_state_dict(model_or_sd, drop_int=True):
    """state_dict without `num_batches_tracked` (int64, ignored by the C loader)."""
    sd = model_or_sd.state_dict() if isinstance(model_or_sd, nn.Module) else model_or_sd
    return OrderedDict((k, v) for k, v in sd.items()
                       if not (drop_int and k.endswith('num_batches_tracked')))


def clone_model(model):
    return copy.deepcopy(model)
