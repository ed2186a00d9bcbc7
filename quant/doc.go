// Package quant computes 1-bit (universally quantized) sketches: each row x
// contributes q(ω_jᵀx + ξ_j) with q(t) = sign(cos t) + i·sign(sin t), two
// bits per frequency, using the frequencies of package rff.
package quant
