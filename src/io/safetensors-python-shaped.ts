/**
 * The Python for shaped layers in a generated PyTorch module: small subclasses of PyTorch's modules
 * that take and return channels-last tensors (Homeostat's layout), so that `nn.Flatten` and `nn.Linear`
 * after them read features in Homeostat's order, while the state dict keeps PyTorch's names and
 * layouts (a Conv2d weight is [out, in/groups, kh, kw] as always).
 */
import type { ShapedModule } from "./safetensors-shaped.js";

/** The module kinds that need the helper classes below. */
export const SHAPED_HELPERS: ReadonlySet<string> = new Set([
  "conv",
  "pool",
  "globalAvgPool",
  "flatten",
  "reshape",
  "batchNorm",
  "groupNorm",
  "embedding",
  "residual",
  "concat",
]);

export const SHAPED_CLASSES = `

def first(x):
    """Channels last -> channels first (PyTorch's layout for its kernels)."""
    return x.movedim(-1, 1)


def last(x):
    return x.movedim(1, -1)


class Net(nn.Sequential):
    """nn.Sequential over rows of features, read as channels-last samples of input_shape."""

    def __init__(self, input_shape, *modules):
        super().__init__(*modules)
        self.input_shape = input_shape

    def __getitem__(self, index):
        if isinstance(index, slice):  # model[:-1], the logits, stays a Net
            return Net(self.input_shape, *list(self)[index])
        return super().__getitem__(index)

    def forward(self, x):
        return super().forward(x.reshape(x.shape[0], *self.input_shape))


class Conv2d(nn.Conv2d):
    """nn.Conv2d on channels-last images, with (left, right, top, bottom) zero padding as Homeostat's."""

    def __init__(self, *args, pad=(0, 0, 0, 0), **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, x):
        return last(super().forward(F.pad(first(x), self.pad)))


class Conv1d(nn.Conv1d):
    """nn.Conv1d on channels-last sequences, with (left, right) zero padding."""

    def __init__(self, *args, pad=(0, 0), **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, x):
        return last(super().forward(F.pad(first(x), self.pad)))


class MaxPool2d(nn.MaxPool2d):
    def __init__(self, *args, pad=(0, 0, 0, 0), **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, x):
        return last(super().forward(F.pad(first(x), self.pad, value=float("-inf"))))


class AvgPool2d(nn.AvgPool2d):
    """The mean of each window; padding is not counted (sums over the padded window / cells inside it)."""

    def __init__(self, *args, pad=(0, 0, 0, 0), **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, x):
        x = first(x)
        ones = torch.ones_like(x[:, :1])
        return last(super().forward(F.pad(x, self.pad)) / super().forward(F.pad(ones, self.pad)))


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.flatten(1, -2).mean(1)


class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class BatchNorm(nn.BatchNorm1d):
    """Batch norm over the last axis of any channels-last tensor (state dict as BatchNorm1d/2d)."""

    def forward(self, x):
        if x.dim() == 2:
            return super().forward(x)
        y = super().forward(first(x).flatten(2))
        return last(y.reshape(first(x).shape))


class GroupNorm(nn.GroupNorm):
    def forward(self, x):
        return last(super().forward(first(x)))


class Residual(nn.Module):
    """body(x) + x; where the body changes the shape, body(x) + projection(x)."""

    def __init__(self, body, projection=None):
        super().__init__()
        self.body = nn.Sequential(*body)
        self.projection = nn.Sequential(*projection) if projection else None

    def forward(self, x):
        return self.body(x) + (x if self.projection is None else self.projection(x))


class Concat(nn.Module):
    """The branches' outputs side by side on the last (channel) axis."""

    def __init__(self, *branches):
        super().__init__()
        self.branches = nn.ModuleList(nn.Sequential(*b) for b in branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], -1)


class Embedding(nn.Embedding):
    """nn.Embedding on float ids, as Homeostat's rows carry them."""

    def forward(self, x):
        return super().forward(x.long())
`;

const tuple = (xs: readonly number[]): string => `(${xs.join(", ")}${xs.length === 1 ? "," : ""})`;

/**
 * One shaped module's line in the generated `Net(...)` and the width of its output's last axis, when
 * it changes it.
 *
 * @example
 * shapedLine({ kind: "flatten", layer: 3, width: 8 }).line; // "nn.Flatten(),"
 */
export function shapedLine(m: ShapedModule): { line: string; width?: number } {
  switch (m.kind) {
    case "conv": {
      const bias = m.bias ? "" : ", bias=False";
      const g = m.groups === 1 ? "" : `, groups=${m.groups}`;
      if (m.dims === 1)
        return {
          line: `Conv1d(${m.channels}, ${m.filters}, ${m.kernel[1]}, stride=${m.stride[1]}, dilation=${m.dilation[1]}${g}${bias}, pad=${tuple(m.pad.slice(0, 2))}),`,
          width: m.filters,
        };
      return {
        line: `Conv2d(${m.channels}, ${m.filters}, ${tuple(m.kernel)}, stride=${tuple(m.stride)}, dilation=${tuple(m.dilation)}${g}${bias}, pad=${tuple(m.pad)}),`,
        width: m.filters,
      };
    }
    case "pool":
      return {
        line: `${m.op === "max" ? "MaxPool2d" : "AvgPool2d"}(${tuple(m.pool)}, stride=${tuple(m.stride)}, pad=${tuple(m.pad)}),`,
      };
    case "globalAvgPool":
      return { line: "GlobalAvgPool()," };
    case "flatten":
      return { line: "nn.Flatten(),", width: m.width };
    case "reshape":
      return { line: `Reshape(${tuple(m.shape)}),`, width: m.shape.at(-1)! };
    case "batchNorm":
      return { line: `BatchNorm(${m.features}, eps=${m.eps}, momentum=${m.momentum}),` };
    case "groupNorm":
      return { line: `GroupNorm(${m.groups}, ${m.channels}, eps=${m.eps}),` };
    case "embedding":
      return { line: `Embedding(${m.vocabulary}, ${m.dim}),`, width: m.dim };
  }
}
