// OpenCL C 1.2 kernels of the GPU delegate (delegates/gpu). Embedded into
// the binary at build time (kernel_source.h). float32, NHWC, row-major; the
// math of each kernel is the reference kernel's (engine/kernels/OPS.md).
// Geometry that does not fit a few scalars comes in a small int buffer `g`
// laid out as the host side (gpu_ops.cc) documents per kernel.

// ---- GEMM and convolution as implicit GEMM -------------------------------
// C[M, N] = act(A[M, K] * B[K, N] + bias[N]), row-major (Activate).
// A work-group of 16x16 items computes a TS x TS tile of C; item (tx, ty)
// owns the WPT x WPT block at rows WPT ty.., columns WPT tx... K advances in
// slices of 16: the group stages a TS x 16 slice of A (transposed) and a
// 16 x TS slice of B in local memory, then per k each item reads its WPT
// values of each as float4s and does WPT^2 FMAs. Rows are padded by 4
// floats: float4-aligned, and the transposed stores of A spread over banks.
// Two sizes: gemm (TS 64, WPT 4) and gemm_large (TS 128, WPT 8: 4x the
// FMAs per local load, for matrices with many tiles both ways).
// conv == 0: A is a plain matrix. conv == 1: A is the im2col matrix of an
// NHWC image x, computed on the fly: row m = (b, oy, ox), column
// k = (ky, kx, c); g = {H, W, C, OH, OW, KW, SH, SW, DH, DW, PT, PL} (12
// entries, zeros for a plain matrix).
#define TK 16
#define RTS 16  // work-group side

// The fused activation of dense, convolution and binary ops: act 0 clamps
// to [lo, hi] (none, relu, relu6), 1 is sigmoid, 2 tanh.
float Activate(float v, int act, float lo, float hi) {
  if (act == 1) return 1.0f / (1.0f + exp(-v));
  if (act == 2) return tanh(v);
  return fmin(fmax(v, lo), hi);
}

#define GEMM_KERNEL(NAME, TS, WPT)                                            \
  __kernel __attribute__((reqd_work_group_size(RTS, RTS, 1))) void NAME(      \
      const int M, const int N, const int K, __global const float* a,         \
      __global const float* bmat, __global const float* bias,                 \
      const int has_bias, __global float* c, const int act, const float lo,   \
      const float hi, const int conv, __global const int* g) {                \
    const int lds = TS + 4;                                                   \
    const int tx = get_local_id(0);                                           \
    const int ty = get_local_id(1);                                           \
    const int n0 = get_group_id(0) * TS;                                      \
    const int m0 = get_group_id(1) * TS;                                      \
    const int tid = ty * RTS + tx;                                            \
    __local float as[TK * (TS + 4)] __attribute__((aligned(16)));             \
    __local float bs[TK * (TS + 4)] __attribute__((aligned(16)));             \
    float4 acc[WPT][WPT / 4];                                                 \
    for (int i = 0; i < WPT; ++i)                                             \
      for (int q = 0; q < WPT / 4; ++q) acc[i][q] = (float4)(0.0f);           \
    /* This item stages A's rows ar0 + 16 l at column ac of each K slice;  \
       their offsets (conv: b * H and the window's top-left corner; -1 past \
       M) are computed once, the column's (ky, kx, c) once per slice. */    \
    const int ac = tid % TK, ar0 = tid / TK;                                  \
    const int H = g[0], W = g[1], C = g[2], kwc = g[5] * g[2];                \
    int row[TS / 16], row_y[TS / 16], row_x[TS / 16];                         \
    for (int l = 0; l < TS / 16; ++l) {                                       \
      const int m = m0 + ar0 + 16 * l;                                        \
      row[l] = -1;                                                            \
      row_y[l] = row_x[l] = 0;                                                \
      if (m >= M) continue;                                                   \
      if (!conv) {                                                            \
        row[l] = m * K;                                                       \
        continue;                                                             \
      }                                                                       \
      const int ohw = g[3] * g[4];                                            \
      const int b = m / ohw, r = m - b * ohw;                                 \
      const int oy = r / g[4], ox = r - oy * g[4];                            \
      row[l] = b * H;                                                         \
      row_y[l] = oy * g[6] - g[10];                                           \
      row_x[l] = ox * g[7] - g[11];                                           \
    }                                                                         \
    for (int k0 = 0; k0 < K; k0 += TK) {                                      \
      const int k = k0 + ac;                                                  \
      int ky = 0, kx = 0, kc = k;                                             \
      if (conv && k < K) {                                                    \
        ky = k / kwc;                                                         \
        kx = (k - ky * kwc) / C;                                              \
        kc = k - ky * kwc - kx * C;                                           \
      }                                                                       \
      for (int l = 0; l < TS / 16; ++l) {                                     \
        float v = 0.0f;                                                       \
        if (row[l] >= 0 && k < K) {                                           \
          if (!conv) {                                                        \
            v = a[row[l] + k];                                                \
          } else {                                                            \
            const int iy = row_y[l] + ky * g[8];                              \
            const int ix = row_x[l] + kx * g[9];                              \
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {                     \
              v = a[((row[l] + iy) * W + ix) * C + kc];                       \
            }                                                                 \
          }                                                                   \
        }                                                                     \
        as[ac * lds + ar0 + 16 * l] = v;                                      \
      }                                                                       \
      for (int l = 0; l < (TS * TK) / (RTS * RTS); ++l) {                     \
        const int id = tid + l * RTS * RTS;                                   \
        const int br = id / TS, bc = id % TS;                                 \
        const int gk = k0 + br, gn = n0 + bc;                                 \
        bs[br * lds + bc] =                                                   \
            (gk < K && gn < N) ? bmat[(size_t)gk * N + gn] : 0.0f;            \
      }                                                                       \
      barrier(CLK_LOCAL_MEM_FENCE);                                           \
      for (int k = 0; k < TK; ++k) {                                          \
        float av[WPT];                                                        \
        float4 bv[WPT / 4];                                                   \
        for (int q = 0; q < WPT / 4; ++q) {                                   \
          const float4 t =                                                    \
              *(__local const float4*)(as + k * lds + ty * WPT + 4 * q);      \
          av[4 * q] = t.s0;                                                   \
          av[4 * q + 1] = t.s1;                                               \
          av[4 * q + 2] = t.s2;                                               \
          av[4 * q + 3] = t.s3;                                               \
          bv[q] = *(__local const float4*)(bs + k * lds + tx * WPT + 4 * q);  \
        }                                                                     \
        for (int i = 0; i < WPT; ++i)                                         \
          for (int q = 0; q < WPT / 4; ++q)                                   \
            acc[i][q] = fma((float4)(av[i]), bv[q], acc[i][q]);               \
      }                                                                       \
      barrier(CLK_LOCAL_MEM_FENCE);                                           \
    }                                                                         \
    for (int i = 0; i < WPT; ++i) {                                           \
      const int m = m0 + ty * WPT + i;                                        \
      if (m >= M) continue;                                                   \
      for (int q = 0; q < WPT / 4; ++q) {                                     \
        const float v[4] = {acc[i][q].s0, acc[i][q].s1, acc[i][q].s2,         \
                            acc[i][q].s3};                                    \
        for (int j = 0; j < 4; ++j) {                                         \
          const int n = n0 + tx * WPT + 4 * q + j;                            \
          if (n >= N) continue;                                               \
          const float r = has_bias ? v[j] + bias[n] : v[j];                   \
          c[(size_t)m * N + n] = Activate(r, act, lo, hi);                    \
        }                                                                     \
      }                                                                       \
    }                                                                         \
  }

GEMM_KERNEL(gemm, 64, 4)
GEMM_KERNEL(gemm_large, 128, 8)

// ---- depthwise convolution (direct) -------------------------------------
// One item per output element y[b, oy, ox, ch], ch = c * MULT + j reads
// input channel c. g = {B, H, W, C, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL,
// MULT}.
__kernel void depthwise_conv2d(__global const float* x,
                               __global const float* f,
                               __global const float* bias, const int has_bias,
                               __global float* y, const int act,
                               const float lo, const float hi,
                               __global const int* g) {
  const int H = g[1], W = g[2], C = g[3], OH = g[4], OW = g[5], KH = g[6],
            KW = g[7], MULT = g[14];
  const int CM = C * MULT;
  const int total = g[0] * OH * OW * CM;
  const int id = get_global_id(0);
  if (id >= total) return;
  const int ch = id % CM;
  int r = id / CM;
  const int ox = r % OW;
  r /= OW;
  const int oy = r % OH;
  const int b = r / OH;
  const int c = ch / MULT;
  float acc = 0.0f;
  for (int ky = 0; ky < KH; ++ky) {
    const int iy = oy * g[8] - g[12] + ky * g[10];
    if (iy < 0 || iy >= H) continue;
    for (int kx = 0; kx < KW; ++kx) {
      const int ix = ox * g[9] - g[13] + kx * g[11];
      if (ix < 0 || ix >= W) continue;
      acc = fma(x[(((size_t)b * H + iy) * W + ix) * C + c],
                f[(ky * KW + kx) * CM + ch], acc);
    }
  }
  if (has_bias) acc += bias[ch];
  y[id] = Activate(acc, act, lo, hi);
}

// ---- pooling --------------------------------------------------------------
// max_pool2d (is_max) / avg_pool2d over in-bounds elements only (padding
// never counts); an empty window gives 0. One item per output element.
// g = {B, H, W, C, OH, OW, KH, KW, SH, SW, PT, PL}.
__kernel void pool2d(__global const float* x, __global float* y,
                     const int is_max, __global const int* g) {
  const int H = g[1], W = g[2], C = g[3], OH = g[4], OW = g[5];
  const int total = g[0] * OH * OW * C;
  const int id = get_global_id(0);
  if (id >= total) return;
  const int c = id % C;
  int r = id / C;
  const int ox = r % OW;
  r /= OW;
  const int oy = r % OH;
  const int b = r / OH;
  const int y0 = oy * g[8] - g[10], x0 = ox * g[9] - g[11];
  const int ylo = max(y0, 0), yhi = min(y0 + g[6], H);
  const int xlo = max(x0, 0), xhi = min(x0 + g[7], W);
  float acc = is_max ? -INFINITY : 0.0f;
  for (int iy = ylo; iy < yhi; ++iy) {
    for (int ix = xlo; ix < xhi; ++ix) {
      const float v = x[(((size_t)b * H + iy) * W + ix) * C + c];
      acc = is_max ? fmax(acc, v) : acc + v;
    }
  }
  const int count = max(yhi - ylo, 0) * max(xhi - xlo, 0);
  if (count == 0) {
    acc = 0.0f;
  } else if (!is_max) {
    acc *= 1.0f / (float)count;
  }
  y[id] = acc;
}

// mean over the spatial axes of NHWC x [B, HW, C] -> y [B, C]. One item per
// output element.
__kernel void mean_hw(__global const float* x, __global float* y, const int B,
                      const int HW, const int C) {
  const int id = get_global_id(0);
  if (id >= B * C) return;
  const int b = id / C, c = id % C;
  __global const float* p = x + (size_t)b * HW * C + c;
  float acc = 0.0f;
  for (int i = 0; i < HW; ++i) acc += p[(size_t)i * C];
  y[id] = acc / (float)HW;
}

// ---- elementwise ----------------------------------------------------------
#define OP_ADD 0
#define OP_SUB 1
#define OP_MUL 2
#define OP_DIV 3
#define OP_MAX 4
#define OP_MIN 5
#define OP_SQDIFF 6

float Binary(int op, float a, float b) {
  switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_MAX: return fmax(a, b);
    case OP_MIN: return fmin(a, b);
    default: return (a - b) * (a - b);
  }
}

// y[i] = act(op(a[ia], b[ib])) with numpy broadcasting: rank == 0
// means a, b and y have one shape; otherwise g = {dims[rank] of y,
// strides of a[rank], strides of b[rank]} (stride 0 along broadcast dims).
__kernel void binary(__global const float* a, __global const float* b,
                     __global float* y, const int n, const int op,
                     const int rank, __global const int* g, const int act,
                     const float lo, const float hi) {
  const int id = get_global_id(0);
  if (id >= n) return;
  int ia = id, ib = id;
  if (rank > 0) {
    ia = 0;
    ib = 0;
    int r = id;
    for (int d = rank - 1; d >= 0; --d) {
      const int coord = r % g[d];
      r /= g[d];
      ia += coord * g[rank + d];
      ib += coord * g[2 * rank + d];
    }
  }
  y[id] = Activate(Binary(op, a[ia], b[ib]), act, lo, hi);
}

#define U_RELU 0
#define U_RELU6 1
#define U_LEAKY_RELU 2
#define U_ELU 3
#define U_SIGMOID 4
#define U_TANH 5
#define U_HARD_SWISH 6
#define U_ABS 7
#define U_NEG 8
#define U_SQUARE 9
#define U_SQRT 10
#define U_EXP 11

__kernel void unary(__global const float* x, __global float* y, const int n,
                    const int op, const float alpha) {
  const int id = get_global_id(0);
  if (id >= n) return;
  const float v = x[id];
  float r;
  switch (op) {
    case U_RELU: r = fmax(v, 0.0f); break;
    case U_RELU6: r = fmin(fmax(v, 0.0f), 6.0f); break;
    case U_LEAKY_RELU: r = v >= 0.0f ? v : alpha * v; break;
    case U_ELU: r = v > 0.0f ? v : alpha * expm1(v); break;
    case U_SIGMOID: r = 1.0f / (1.0f + exp(-v)); break;
    case U_TANH: r = tanh(v); break;
    case U_HARD_SWISH: r = v * fmin(fmax(v + 3.0f, 0.0f), 6.0f) / 6.0f; break;
    case U_ABS: r = fabs(v); break;
    case U_NEG: r = -v; break;
    case U_SQUARE: r = v * v; break;
    case U_SQRT: r = sqrt(v); break;
    default: r = exp(v); break;
  }
  y[id] = r;
}

// softmax over the last axis of x [rows, cols]: y = exp(beta x - m) / sum,
// m the row's maximum of beta x. One item per row.
__kernel void softmax(__global const float* x, __global float* y,
                      const int rows, const int cols, const float beta) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  __global const float* p = x + (size_t)row * cols;
  __global float* q = y + (size_t)row * cols;
  float m = -INFINITY;
  for (int i = 0; i < cols; ++i) m = fmax(m, beta * p[i]);
  float sum = 0.0f;
  for (int i = 0; i < cols; ++i) {
    const float e = exp(beta * p[i] - m);
    q[i] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < cols; ++i) q[i] *= inv;
}

// ---- data movement --------------------------------------------------------
// Constant pad: y[...] = x[... - pre] inside, value outside.
// g = {dims of y[rank], dims of x[rank], pre[rank]}.
__kernel void pad(__global const float* x, __global float* y, const int n,
                  const int rank, __global const int* g, const float value) {
  const int id = get_global_id(0);
  if (id >= n) return;
  int r = id, ix = 0, stride = 1;
  bool inside = true;
  for (int d = rank - 1; d >= 0; --d) {
    const int coord = r % g[d] - g[2 * rank + d];
    r /= g[d];
    inside = inside && coord >= 0 && coord < g[rank + d];
    ix += coord * stride;
    stride *= g[rank + d];
  }
  y[id] = inside ? x[ix] : value;
}
