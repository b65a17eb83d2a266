# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch definitions of the zoo's timm models, written for Nondeep Explorer.

timm is not a Debian package, so these modules are written from the papers and from the
structure timm publishes (huggingface/pytorch-image-models, timm/models/resnetv2.py, cspnet.py,
vovnet.py). Module names equal timm's, so `state_dict()` keys (and their order) are those of
timm's checkpoints:

    resnetv2_50    ResNetV2(layers=(3, 4, 6, 3))        pre-activation bottlenecks, conv head
    darknet53      CspNet(darknet53 config)             DarkStage + DarkBlock
    cspdarknet53   CspNet(cspdarknet53 config)          CrossStage (down_growth) + DarkBlock
    vovnet39a      VovNet(blocks (1, 1, 2, 2))          OSA modules, ceil-mode max pools
    vovnet57a      VovNet(blocks (1, 1, 4, 3))
    ese_vovnet39b  VovNet(blocks (1, 1, 2, 2), residual, effective SE with a hard sigmoid)

Conventions shared with timm: ConvNormAct = <m>.conv (no bias) + <m>.bn (BatchNorm2d, eps 1e-5)
+ activation; timm's "leaky_relu" is nn.LeakyReLU() (slope 0.01); the classifier is head.fc
(a Linear, or for ResNetV2 a biased 1×1 conv). `build(name, classes)` returns the model;
running this file prints each definition's exact parameter count beside timm's published
figure (TIMM_PUBLISHED_M).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# timm's published figures (M parameters), as its results tables and model cards give them.
TIMM_PUBLISHED_M = {
    'resnetv2_50': 25.5, 'darknet53': 41.6, 'cspdarknet53': 27.6,
    'vovnet39a': 22.6, 'vovnet57a': 36.6, 'ese_vovnet39b': 24.6,
}


class ConvNormAct(nn.Module):
    def __init__(self, cin, cout, k=1, stride=1, act='relu', apply_act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        if not apply_act:
            self.act = nn.Identity()
        elif act == 'leaky_relu':
            self.act = nn.LeakyReLU()
        else:
            self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class ClassifierHead(nn.Module):
    """Global average pool + head.fc (Linear, or a biased 1×1 conv with use_conv)."""

    def __init__(self, cin, classes, use_conv=False):
        super().__init__()
        self.use_conv = use_conv
        self.fc = nn.Conv2d(cin, classes, 1, bias=True) if use_conv else nn.Linear(cin, classes)

    def forward(self, x):
        x = x.mean((2, 3), keepdim=self.use_conv)
        return self.fc(x).flatten(1)


# ---- ResNetV2 -------------------------------------------------------------------------------

class BatchNormAct2d(nn.BatchNorm2d):
    """BN + ReLU as one module: its keys are the BN's (timm's BatchNormAct2d)."""

    def forward(self, x):
        return F.relu(super().forward(x))


class DownsampleConv(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        return self.conv(x)


class PreActBottleneck(nn.Module):
    def __init__(self, cin, cout, stride, project):
        super().__init__()
        mid = cout // 4
        self.downsample = DownsampleConv(cin, cout, stride) if project else None
        self.norm1 = BatchNormAct2d(cin)
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.norm2 = BatchNormAct2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
        self.norm3 = BatchNormAct2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)

    def forward(self, x):
        xp = self.norm1(x)
        shortcut = self.downsample(xp) if self.downsample is not None else x
        x = self.conv1(xp)
        x = self.conv2(self.norm2(x))
        x = self.conv3(self.norm3(x))
        return x + shortcut


class ResNetStage(nn.Module):
    def __init__(self, cin, cout, stride, depth):
        super().__init__()
        self.blocks = nn.Sequential(*[
            PreActBottleneck(cin if i == 0 else cout, cout, stride if i == 0 else 1, i == 0)
            for i in range(depth)])

    def forward(self, x):
        return self.blocks(x)


class ResNetV2(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), classes=1000, in_chans=3):
        super().__init__()
        self.stem = nn.Sequential()
        self.stem.add_module('conv', nn.Conv2d(in_chans, 64, 7, 2, 3, bias=False))
        self.stem.add_module('pool', nn.MaxPool2d(3, 2, 1))
        self.stages = nn.Sequential()
        cin = 64
        for i, (d, c) in enumerate(zip(layers, (256, 512, 1024, 2048))):
            self.stages.add_module(str(i), ResNetStage(cin, c, 1 if i == 0 else 2, d))
            cin = c
        self.norm = BatchNormAct2d(cin)
        self.head = ClassifierHead(cin, classes, use_conv=True)

    def forward(self, x):
        return self.head(self.norm(self.stages(self.stem(x))))


# ---- Darknet-53 and CSPDarknet-53 -----------------------------------------------------------

class DarkBlock(nn.Module):
    def __init__(self, cin, cout, mid):
        super().__init__()
        self.conv1 = ConvNormAct(cin, mid, 1, act='leaky_relu')
        self.conv2 = ConvNormAct(mid, cout, 3, act='leaky_relu')

    def forward(self, x):
        return self.conv2(self.conv1(x)) + x


class DarkStage(nn.Module):
    def __init__(self, cin, cout, depth):
        super().__init__()
        self.conv_down = ConvNormAct(cin, cout, 3, 2, act='leaky_relu')
        self.blocks = nn.Sequential(*[DarkBlock(cout, cout, cout // 2) for _ in range(depth)])

    def forward(self, x):
        return self.blocks(self.conv_down(x))


class CrossStage(nn.Module):
    """CSPNet stage with down_growth: conv_down to cout, conv_exp to exp, split, DarkBlocks
    on the second half, conv_transition_b, cat with the first half, conv_transition."""

    def __init__(self, cin, cout, depth, expand, block_ratio, bottle_ratio):
        super().__init__()
        exp = int(round(cout * expand))
        block_out = int(round(cout * block_ratio))
        mid = int(round(block_out * bottle_ratio))
        self.expand_chs = exp
        self.conv_down = ConvNormAct(cin, cout, 3, 2, act='leaky_relu')
        self.conv_exp = ConvNormAct(cout, exp, 1, act='leaky_relu')
        prev = exp // 2
        self.blocks = nn.Sequential()
        for i in range(depth):
            self.blocks.add_module(str(i), DarkBlock(prev, block_out, mid))
            prev = block_out
        self.conv_transition_b = ConvNormAct(prev, exp // 2, 1, act='leaky_relu')
        self.conv_transition = ConvNormAct(exp, cout, 1, act='leaky_relu')

    def forward(self, x):
        x = self.conv_exp(self.conv_down(x))
        xs, xb = x.split(self.expand_chs // 2, dim=1)
        xb = self.conv_transition_b(self.blocks(xb))
        return self.conv_transition(torch.cat([xs, xb], dim=1))


class CspNet(nn.Module):
    def __init__(self, csp, depths=(1, 2, 8, 8, 4), classes=1000, in_chans=3):
        super().__init__()
        self.stem = nn.Sequential()
        self.stem.add_module('conv1', ConvNormAct(in_chans, 32, 3, 1, act='leaky_relu'))
        self.stages = nn.Sequential()
        cin = 32
        for i, d in enumerate(depths):
            cout = 64 << i
            if csp:   # cspdarknet53: expand (2, 1, …), block ratio (1, 0.5, …), bottle (0.5, 1, …)
                stage = CrossStage(cin, cout, d, 2.0 if i == 0 else 1.0,
                                   1.0 if i == 0 else 0.5, 0.5 if i == 0 else 1.0)
            else:
                stage = DarkStage(cin, cout, d)
            self.stages.add_module(str(i), stage)
            cin = cout
        self.head = ClassifierHead(cin, classes)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


# ---- VoVNet ---------------------------------------------------------------------------------

class SequentialAppendList(nn.Sequential):
    def forward(self, x, concat_list):
        for i, module in enumerate(self):
            concat_list.append(module(x if i == 0 else concat_list[-1]))
        return torch.cat(concat_list, dim=1)


class EffectiveSEModule(nn.Module):
    """Effective SE (CenterMask): x · hardsigmoid(fc(mean(x))), hardsigmoid = relu6(s + 3)/6."""

    def __init__(self, channels):
        super().__init__()
        self.fc = nn.Conv2d(channels, channels, 1, bias=True)

    def forward(self, x):
        return x * F.hardsigmoid(self.fc(x.mean((2, 3), keepdim=True)))


class OsaBlock(nn.Module):
    def __init__(self, cin, mid, cout, layers, residual, ese):
        super().__init__()
        self.residual = residual
        self.conv_mid = SequentialAppendList(*[
            ConvNormAct(cin if i == 0 else mid, mid, 3) for i in range(layers)])
        self.conv_concat = ConvNormAct(cin + layers * mid, cout, 1)
        self.attn = EffectiveSEModule(cout) if ese else None

    def forward(self, x):
        output = [x]
        y = self.conv_concat(self.conv_mid(x, output))
        if self.attn is not None:
            y = self.attn(y)
        return y + x if self.residual else y


class OsaStage(nn.Module):
    def __init__(self, cin, mid, cout, blocks, downsample, residual, ese):
        super().__init__()
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True) if downsample else None
        self.blocks = nn.Sequential(*[
            OsaBlock(cin if i == 0 else cout, mid, cout, 5, residual and i > 0,
                     ese and i == blocks - 1) for i in range(blocks)])

    def forward(self, x):
        if self.pool is not None:
            x = self.pool(x)
        return self.blocks(x)


class VovNet(nn.Module):
    def __init__(self, blocks, residual=False, ese=False, classes=1000, in_chans=3):
        super().__init__()
        self.stem = nn.Sequential(ConvNormAct(in_chans, 64, 3, 2), ConvNormAct(64, 64, 3, 1),
                                  ConvNormAct(64, 128, 3, 2))
        stages, cin = [], 128
        for i, (mid, cout) in enumerate(zip((128, 160, 192, 224), (256, 512, 768, 1024))):
            stages.append(OsaStage(cin, mid, cout, blocks[i], i > 0, residual, ese))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = ClassifierHead(cin, classes)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


BUILDERS = {
    'resnetv2_50': lambda c: ResNetV2(classes=c),
    'darknet53': lambda c: CspNet(False, classes=c),
    'cspdarknet53': lambda c: CspNet(True, classes=c),
    'vovnet39a': lambda c: VovNet((1, 1, 2, 2), classes=c),
    'vovnet57a': lambda c: VovNet((1, 1, 4, 3), classes=c),
    'ese_vovnet39b': lambda c: VovNet((1, 1, 2, 2), residual=True, ese=True, classes=c),
}
# our preset name for each timm name
PRESETS = {
    'resnetv2_50': 'resnet-v2-50', 'darknet53': 'darknet-53', 'cspdarknet53': 'cspdarknet-53',
    'vovnet39a': 'vovnet-39', 'vovnet57a': 'vovnet-57', 'ese_vovnet39b': 'ese-vovnet-39',
}


def build(name, classes=1000):
    return BUILDERS[name](classes)


def count_params(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == '__main__':
    for n in BUILDERS:
        p = count_params(build(n))
        print('%-14s %-14s %10d  (%.1f M; timm publishes %.1f M)'
              % (n, PRESETS[n], p, p / 1e6, TIMM_PUBLISHED_M[n]))
