/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-tensor.h"

G_BEGIN_DECLS

/* The graph IR.
 *
 * A graph is a list of nodes in topological order (a node's inputs always have smaller ids).
 * Node 0 is the input. Shapes are per image: out_c × out_h × out_w; the batch size is chosen
 * when a backend prepares a plan. Every node carries the view tags the UI needs (stream, the
 * official block path, role, depth) and its module name, so that weight keys are
 * `<name>.<slot>` exactly as the official PyTorch state_dicts name them:
 *   conv:   <name>.weight [O, I/g, kh, kw], <name>.bias [O] (if has_bias)
 *   bn:     <name>.weight (γ), .bias (β), .running_mean, .running_var   [C]
 *   linear: <name>.weight [O, I], <name>.bias [O]
 *
 * Op semantics (all activations NCHW float32):
 *   INPUT             the network input
 *   CONV2D            cross-correlation, kernel k (or kernel × kernel_w), stride, zero pad
 *                     (pad rows, pad_w columns), groups
 *   BATCHNORM         eval mode: γ·(x−μ)/sqrt(σ²+eps) + β
 *   RELU, SILU, SIGMOID
 *   LEAKY_RELU        x ≥ 0 ? x : alpha·x          (VanillaNet's λ: alpha = λ)
 *   ADD               sum of 2..ND_MAX_INPUTS inputs of equal shape
 *   GATE              in0 [C,H,W] × alpha·σ(in1 [C,1,1])   (alpha 1: SSE/SE, 2: ParNet's 2σ;
 *                     hard_gate: alpha·relu6(in1 + 3)/6, the effective-SE of ESE-VoVNet)
 *   AVGPOOL, MAXPOOL  window k, stride, pad (max pads with −inf, avg counts pad cells, as
 *                     PyTorch's count_include_pad=True default; floor mode, or ceil mode
 *                     for MAXPOOL with ceil_mode set)
 *   ADAPTIVE_AVGPOOL, ADAPTIVE_MAXPOOL   to out_h × out_w with PyTorch's start/end rule
 *                     (global average pool is ADAPTIVE_AVGPOOL to 1×1)
 *   CONCAT_INTERLEAVE two inputs [C,H,W] → [2C,H,W], z[2c] = a[c], z[2c+1] = b[c]
 *   CHANNEL_SHUFFLE   groups g: out[j·g + i] = in[i·(C/g) + j]
 *   LINEAR            input flattened to C·H·W features → out_c, weight [O, I] + bias
 *   SOFTMAX           over channels
 *   RELU6             min(max(x, 0), 6)           (MobileNetV2)
 *   CONCAT            2..ND_MAX_INPUTS inputs of equal H×W, channels one after the other
 *                     (torch.cat along dim 1: DenseNet, Inception, VoVNet)
 *   SLICE             channels [offset, offset + out_c) of the input (ShuffleNetV2's split)
 */

#define ND_MAX_INPUTS 4

typedef enum
{
  ND_OP_INPUT,
  ND_OP_CONV2D,
  ND_OP_BATCHNORM,
  ND_OP_RELU,
  ND_OP_SILU,
  ND_OP_SIGMOID,
  ND_OP_LEAKY_RELU,
  ND_OP_ADD,
  ND_OP_GATE,
  ND_OP_AVGPOOL,
  ND_OP_MAXPOOL,
  ND_OP_ADAPTIVE_AVGPOOL,
  ND_OP_ADAPTIVE_MAXPOOL,
  ND_OP_CONCAT_INTERLEAVE,
  ND_OP_CHANNEL_SHUFFLE,
  ND_OP_LINEAR,
  ND_OP_SOFTMAX,
  ND_OP_RELU6,
  ND_OP_CONCAT,
  ND_OP_SLICE,
  ND_OP_COUNT
} NdOp;

/* What a node is for, in the views. Names ("dense3x3", …) are stable: CLI JSON uses them. */
typedef enum
{
  ND_ROLE_NONE,
  ND_ROLE_INPUT,
  ND_ROLE_CONV,          /* a plain conv (stem, ResNet, VGG, VanillaNet 1×1s) */
  ND_ROLE_BN,            /* a BN that follows a conv */
  ND_ROLE_ACTIVATION,
  ND_ROLE_DENSE3X3,      /* RepVGG/ParNet 3×3 branch (conv + its BN) */
  ND_ROLE_BRANCH1X1,     /* 1×1 branch (conv + its BN) */
  ND_ROLE_BRANCH_POOL,   /* ParNet's AvgPool2×2 before the stride-2 1×1 */
  ND_ROLE_IDENTITY_BN,   /* BN-only identity branch */
  ND_ROLE_SSE_GATE,      /* SE/SSE: the pool, the 1×1 conv and the gate multiply */
  ND_ROLE_MERGE,         /* the add that joins branches */
  ND_ROLE_FUSED3X3,      /* a conv produced by re-parameterization */
  ND_ROLE_FUSION_BN,     /* ParNet MultiBatchNorm2d before a fusion concat */
  ND_ROLE_CONCAT,
  ND_ROLE_SHUFFLE,
  ND_ROLE_POOL,
  ND_ROLE_SERIES_ACT,    /* VanillaNet activation: depthwise k×k conv + BN */
  ND_ROLE_SHORTCUT,      /* ResNet downsample branch */
  ND_ROLE_HEAD,          /* classifier */
  ND_ROLE_COUNT
} NdRole;

/* Weight slots of a node. */
typedef enum
{
  ND_W_WEIGHT,   /* conv/linear weight, BN γ */
  ND_W_BIAS,     /* conv/linear bias, BN β */
  ND_W_MEAN,     /* BN running_mean */
  ND_W_VAR,      /* BN running_var */
  ND_W_COUNT
} NdWeightSlot;

typedef struct
{
  int   out_c;     /* CONV2D, LINEAR: output channels/features; SLICE: channels kept */
  int   kernel;    /* CONV2D, pools: square window */
  int   stride;
  int   pad;
  int   groups;    /* CONV2D, CHANNEL_SHUFFLE */
  int   has_bias;  /* CONV2D (LINEAR always has one) */
  int   out_h;     /* ADAPTIVE_*POOL */
  int   out_w;
  float eps;       /* BATCHNORM */
  float alpha;     /* LEAKY_RELU slope, GATE scale (1 or 2) */
  int   offset;    /* SLICE: first channel kept */
  /* CONV2D with a non-square kernel (Inception's 1×7, 7×1): kernel and pad are then the
   * height's, these the width's. kernel_w 0: square (kernel × kernel, pad on all sides). */
  int   kernel_w;
  int   pad_w;
  /* MAXPOOL: PyTorch's ceil_mode=True (VoVNet): out = ceil((in + 2·pad − k) / stride) + 1,
   * less one when the last window would start in the right/bottom padding; windows that run
   * past the map take the max of the cells inside it. */
  int   ceil_mode;
  /* GATE: the gate function is the hard sigmoid relu6(s + 3) / 6 (timm's effective SE)
   * instead of the logistic σ. */
  int   hard_gate;
} NdOpParams;

/* The gate value a GATE node applies for the squeezed value @s: alpha·σ(s), or
 * alpha·relu6(s + 3)/6 for a hard gate. Every backend computes this. */
float         nd_op_gate_value        (const NdOpParams *p,
                                       float             s);

/* A conv's kernel width and column padding, whether or not its kernel is square. */
static inline int
nd_op_kernel_w (const NdOpParams *p)
{
  return p->kernel_w > 0 ? p->kernel_w : p->kernel;
}

static inline int
nd_op_pad_w (const NdOpParams *p)
{
  return p->kernel_w > 0 ? p->pad_w : p->pad;
}

/* TRUE when a conv's kernel is @k × @k with @pad on every side. */
static inline gboolean
nd_op_is_square (const NdOpParams *p, int k, int pad)
{
  return p->kernel == k && p->pad == pad && nd_op_kernel_w (p) == k && nd_op_pad_w (p) == pad;
}

typedef struct _NdNode
{
  int         id;
  NdOp        op;
  NdOpParams  p;
  int         n_inputs;
  int         inputs[ND_MAX_INPUTS];
  NdTensor   *w[ND_W_COUNT];   /* owned refs; NULL where the op has no such slot */
  int         out_c, out_h, out_w;

  char       *name;      /* module path, e.g. "streams.1.3.block.rbr_dense.conv" */
  /* view tags */
  int         stream;    /* 0..n-1, or -1 for shared */
  char       *block;     /* official block path, e.g. "streams.1.3"; NULL for none */
  NdRole      role;
  int         depth;     /* layer index along the network's depth axis (1-based), 0 none */
  /* Names of the training-form nodes a fused node was built from (NULL-terminated, owned),
   * NULL for nodes that were not produced by re-parameterization. */
  char      **origins;
} NdNode;

typedef struct _NdGraph NdGraph;

struct _NdGraph
{
  GPtrArray  *nodes;       /* NdNode*, topological */
  int         output;      /* id of the logits node */
  int         in_c, in_h, in_w;
  gboolean    fused;       /* produced by nd_fuse_graph() */
  char       *model_name;  /* e.g. "parnet-s"; may be NULL for hand-built graphs */
  char       *family;      /* "parnet", "repvgg", "vanillanet", "resnet", "vgg" */
  gboolean    shapes_only; /* nodes carry shapes but no weight tensors (for sizing a request
                            * before anything is allocated); never prepared or run */
};

NdGraph      *nd_graph_new            (int in_c, int in_h, int in_w);
/* A graph whose nodes get shapes but no weight tensors: nd_graph_memory() sizes it. */
NdGraph      *nd_graph_new_shapes_only (int in_c, int in_h, int in_w);
NdGraph      *nd_graph_ref            (NdGraph *graph);
void          nd_graph_unref          (NdGraph *graph);
/* A deep copy: nodes and tags copied, weight tensors shared (refs). */
NdGraph      *nd_graph_copy           (const NdGraph *graph);

static inline NdNode *
nd_graph_node (const NdGraph *graph, int id)
{
  return g_ptr_array_index (graph->nodes, id);
}

static inline int
nd_graph_n_nodes (const NdGraph *graph)
{
  return (int) graph->nodes->len;
}

/* Appends a node; computes its output shape from its inputs and allocates zeroed weight
 * tensors for its slots. Returns the node id, or -1 with @error set when the shapes do not
 * fit (e.g. a map too small for the kernel, channels not divisible by groups).
 * @name is the module path (may be NULL for parameter-free ops). */
int           nd_graph_add            (NdGraph          *graph,
                                       NdOp              op,
                                       const NdOpParams *params,
                                       const int        *inputs,
                                       int               n_inputs,
                                       const char       *name,
                                       GError          **error);
/* Sets the view tags of a node (block is copied; NULL clears). */
void          nd_graph_tag            (NdGraph    *graph,
                                       int         id,
                                       int         stream,
                                       const char *block,
                                       NdRole      role,
                                       int         depth);

/* Number of nodes that read node @id (the graph output counts as one reader). */
int           nd_graph_n_consumers    (const NdGraph *graph,
                                       int            id);

/* Weight keys: "<name>.<slot>", slot in weight|bias|running_mean|running_var.
 * Returns the tensor (transfer none) or NULL. */
NdTensor     *nd_graph_lookup_weight  (const NdGraph *graph,
                                       const char    *key);
/* Calls @func for every weight tensor with its official key, in node order. */
typedef void (*NdWeightFunc) (const char *key, NdTensor *tensor, gboolean is_param,
                              gpointer user_data);
void          nd_graph_foreach_weight (const NdGraph *graph,
                                       NdWeightFunc   func,
                                       gpointer       user_data);

/* Counting: parameters (conv/linear weights and biases, BN γ and β; running statistics are
 * buffers, not parameters), MACs (conv and linear only, batch 1) and depth (max node depth). */
typedef struct
{
  char    *block;        /* block path, or the node name for untagged nodes */
  int      stream;
  int      depth;
  NdRole   role;         /* role of the block's main op */
  gint64   params;
  gint64   macs;
  int      out_c, out_h, out_w;
  int      first_node, last_node;
  gint64   flops;          /* nd_node_flops() summed over the block's nodes */
  gint64   bytes_read;     /* nd_node_bytes() summed: the block's memory access cost is */
  gint64   bytes_written;  /* bytes_read + bytes_written */
} NdBlockStats;

void          nd_block_stats_free     (NdBlockStats *stats);
gint64        nd_node_params          (const NdNode *node);
gint64        nd_node_macs            (const NdGraph *graph,
                                       const NdNode  *node);
void          nd_graph_count          (const NdGraph *graph,
                                       gint64        *params,
                                       gint64        *macs,
                                       int           *depth);
/* Cost counts for the architecture lab (nd-graph-cost.c), batch 1, float32.
 * FLOPs: 2·MAC for conv and linear (+1 per output for a bias), plus element-wise work: BN 2
 * per element, ReLU/leaky 1, sigmoid 3, SiLU 4, add (n−1), gate 1 per element + 4 per
 * channel, pools k² per output (adaptive: one per input), softmax 4, copies (concat,
 * shuffle) 0; an op the list does not know counts 1 per output element.
 * Bytes: every input read once, every weight element read once (BN: its four vectors), the
 * output written once, 4 bytes each. For a stride-1 "same" conv without bias this is the
 * memory access cost of ShuffleNet V2 (Ma et al. 2018, §2):
 * 4·(h·w·(c_in + c_out) + c_in·c_out·k²/groups). */
gint64        nd_node_flops           (const NdGraph *graph,
                                       const NdNode  *node);
void          nd_node_bytes           (const NdGraph *graph,
                                       const NdNode  *node,
                                       gint64        *bytes_read,
                                       gint64        *bytes_written);
/* Weight elements of @node from its shapes (works on shapes-only graphs). */
guint64       nd_node_weight_elements (const NdGraph *graph,
                                       const NdNode  *node);
/* Totals of the above over the graph. */
void          nd_graph_cost           (const NdGraph *graph,
                                       gint64        *flops,
                                       gint64        *bytes_read,
                                       gint64        *bytes_written);
/* Structure: @weight_depth the longest input→output path counted in weight layers (conv and
 * linear); @n_ops the nodes other than the input; @n_branches the paths that leave fork
 * points (Σ consumers over nodes read by two or more; a plain chain has 0, a RepVGG block 3). */
void          nd_graph_structure      (const NdGraph *graph,
                                       int           *weight_depth,
                                       int           *n_ops,
                                       int           *n_branches);
/* Bytes a graph needs, counted from its shapes (so a shapes-only graph can be sized before
 * anything is allocated): @weight_bytes every weight tensor (BN statistics included) as
 * float32; @activation_bytes every node's output for one image as float32, the input
 * included, with no reuse between nodes (an upper bound on what a backend allocates). */
void          nd_graph_memory         (const NdGraph *graph,
                                       guint64       *weight_bytes,
                                       guint64       *activation_bytes);
/* Per-block statistics in order of first appearance (element type NdBlockStats*). */
GPtrArray    *nd_graph_block_stats    (const NdGraph *graph);

const char   *nd_op_name              (NdOp op);
const char   *nd_role_name            (NdRole role);
const char   *nd_weight_slot_name     (NdWeightSlot slot);
/* Number of weight slots an op has (CONV2D: 1 or 2, BATCHNORM: 4, LINEAR: 2, others 0). */
int           nd_op_n_weights         (NdOp op, const NdOpParams *params);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdGraph, nd_graph_unref)

G_END_DECLS
