// Package models implements every numerical method of the study: cost
// functions and metrics, polynomial design matrices, OLS and Ridge regression
// (closed form and mini-batch SGD), feed-forward neural networks trained by
// backpropagation, and multinomial logistic regression (SGD and L-BFGS).
//
// The package imports only gonum and the standard library.
//
// # Conventions
//
// Matrices are *mat.Dense with one sample per row. Targets of networks are
// matrices with one column per output; classification targets are one-hot
// rows (see OneHot). Targets of linear models are []float64.
//
// Shape mismatches and invalid constructor arguments are programmer errors
// and panic with a message starting with "models: ". Data conditions (NaN in
// the input, a rank-deficient design matrix, an invalid TrainConfig, no
// convergence) are returned as errors. A training run that diverges is not an
// error: it is reported in History.Diverged.
//
// # Intercept and penalties
//
// The intercept of a linear model is the coefficient of the constant column
// of its design matrix, and every design matrix passed to the linear
// functions of this package must have that constant column first, as
// PolyFeatures produces it. The Ridge cost is
//
//	C(β) = (1/n) Σ_i (y_i - x_i·β)² + λ Σ_{j≥1} β_j²
//
// so the intercept β_0 is never penalised. The closed form (Ridge) solves
// (XᵀX + nλD)β = Xᵀy with D = diag(0, 1, ..., 1), which is the minimiser of
// exactly this cost, and Linear trained by SGD follows its gradient
// (2/n)Xᵀ(Xβ - y) + 2λDβ, so both converge to the same β. In the textbook
// form ||y - Xβ||² + α||β||² (and scikit-learn's Ridge with an unpenalised
// intercept) the same model has α = nλ.
//
// Networks follow the same rule: the L2 penalty λ Σ w² covers the weights of
// every layer and never the biases, and adds 2λw to the weight gradients.
// Logistic regression fitted by L-BFGS minimises the same penalised cost as
// the SGD-trained network without hidden layers.
//
// # Networks
//
// A Network is a stack of dense layers described by NetConfig. Layer l maps
// its input a (one row per sample) to σ(a·W + b) where W is stored row-major
// with shape inputs×outputs, so W[k*outputs+j] is the weight from input k to
// node j. Hidden layers use Identity, Sigmoid, ReLU or LeakyReLU; the output
// layer may also use Softmax. The supported costs are
//
//	MSE:           C = (1/n) Σ_i Σ_j (a_ij - y_ij)²      (any elementwise output)
//	cross-entropy: C = -(1/n) Σ_i Σ_j y_ij ln a_ij        (softmax output)
//	cross-entropy: C = -(1/n) Σ_i Σ_j [y ln a + (1-y) ln(1-a)]_ij (sigmoid output)
//
// For both cross-entropy pairs the output error is δ = (a - y)/n, and costs
// are computed from the pre-activations with log-sum-exp and softplus, so they
// stay finite however confident the network is.
//
// Weight initialisation (biases in parentheses):
//
//	InitNormal: w ~ N(0, 1/fan_in) (b ~ N(0, 1)), the scaled normal scheme of
//	            Nielsen's network2 that the study builds on;
//	InitGlorot: w ~ U(-l, l), l = sqrt(6/(fan_in+fan_out)) (b = 0);
//	InitHe:     w ~ N(0, 2/fan_in) (b = 0).
//
// Parameters are exported and imported with Network.Params and
// NewNetworkFromParams; a Params value encodes to JSON.
//
// # Training
//
// Network.Train and Linear.Train share one mini-batch SGD loop configured by
// TrainConfig. Each epoch shuffles the training rows with a PCG generator
// seeded by TrainConfig.Seed and walks them in mini-batches (the last one may
// be smaller). Step i uses the learning rate LearningRate(i,
// Schedule{LR0, Decay, RampUp}). The optimiser is SGD with momentum,
//
//	v ← μv + lr·g,  θ ← θ - v,
//
// or Adam with Keras' defaults (β1 0.9, β2 0.999, ε 1e-7) and bias-corrected
// step lr·sqrt(1-β2^t)/(1-β1^t)·m/(sqrt(v)+ε).
//
// After every epoch the loop evaluates the training and validation sets and
// appends an EpochStats to the History (Epochs[0] describes the initial
// parameters). Early stopping, when TrainConfig.Patience is n > 0, checks
// every n epochs whether the mean validation error of the last n epochs is
// no lower than the mean of the n epochs before, and stops if so. Whatever
// ends the run, the parameters with the lowest validation error seen
// (History.BestEpoch) are restored before Train returns, unless
// TrainConfig.KeepLast asks for the last ones. A run diverges when
// the training cost or any statistic becomes NaN or ±Inf, or the training
// cost exceeds DivergenceFactor times its initial value; the run then stops,
// History.Diverged and History.DivergedEpoch report it, the offending epoch
// is not recorded, and every number in the History stays finite.
//
// Training is deterministic: the same configuration, data and seeds give
// bit-identical parameters and histories. Nothing runs concurrently and the
// per-step work reuses buffers allocated once per Train call. A Network or a
// Linear must not be trained from several goroutines at once.
//
// # Kernels
//
// Every matrix product of a network (forward, weight gradients and
// backpropagated errors) is one kernel, a sparse linear combination of rows
// that skips zero inputs (digit pixels, ReLU outputs) and keeps its output
// block in registers. On amd64 with AVX it is written in assembly, four
// columns per instruction; elsewhere, or with the build tag purego, in Go.
// The two sum in the same order with separately rounded products (no fused
// multiply-add), so they give bit-identical parameters and histories. The
// same kernel serves every mini-batch size: measured on the digits network,
// gonum's blas64.Gemm path (one axpy per nonzero element) was slower at
// both 20 and 128 rows, so there is no size threshold.
package models
