// Unary float32 math, written with forward ops:
//   neg:    dx = -dy
//   abs:    dx = dy where x >= 0, else -dy (the subgradient at 0 is +1)
//   exp:    dx = dy * y
//   log:    dx = dy / x
//   sqrt:   dx = dy / (2 y)
//   rsqrt:  dx = -0.5 * dy * y^3           (y = x^-1/2)
//   square: dx = 2 * x * dy

#include "autodiff/grad_rule.h"

namespace attune {

absl::Status UnaryGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int dy = ctx.dy();
  const int x = ctx.x(0);
  const int y = ctx.y();
  switch (ctx.node().op) {
    case OpCode::kNeg:
      dxs[0] = ctx.Op1(OpCode::kNeg, {dy}, {}, "dx");
      break;
    case OpCode::kAbs: {
      const int negative =
          ctx.Op1(OpCode::kLess, {x, ctx.ConstantScalar("zero", 0)});
      dxs[0] = ctx.Op1(OpCode::kSelect,
                       {negative, ctx.Op1(OpCode::kNeg, {dy}), dy}, {}, "dx");
      break;
    }
    case OpCode::kExp:
      dxs[0] = ctx.Op1(OpCode::kMul, {dy, y}, {}, "dx");
      break;
    case OpCode::kLog:
      dxs[0] = ctx.Op1(OpCode::kDiv, {dy, x}, {}, "dx");
      break;
    case OpCode::kSqrt: {
      const int two_y =
          ctx.Op1(OpCode::kMul, {y, ctx.ConstantScalar("two", 2)});
      dxs[0] = ctx.Op1(OpCode::kDiv, {dy, two_y}, {}, "dx");
      break;
    }
    case OpCode::kRsqrt: {
      const int y_cubed =
          ctx.Op1(OpCode::kMul, {ctx.Op1(OpCode::kSquare, {y}), y});
      const int scaled = ctx.Op1(
          OpCode::kMul, {y_cubed, ctx.ConstantScalar("minus_half", -0.5f)});
      dxs[0] = ctx.Op1(OpCode::kMul, {dy, scaled}, {}, "dx");
      break;
    }
    case OpCode::kSquare: {
      const int two_x =
          ctx.Op1(OpCode::kMul, {x, ctx.ConstantScalar("two", 2)});
      dxs[0] = ctx.Op1(OpCode::kMul, {dy, two_x}, {}, "dx");
      break;
    }
    default:
      return ctx.Unimplemented("not a unary math op");
  }
  return absl::OkStatus();
}

}  // namespace attune
