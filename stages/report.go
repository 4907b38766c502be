package stages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/report"
)

// Template files of the report stage, relative to the project root.
const (
	templateReport = "templates/report.md"
	templateLayout = "templates/layout.html"
	templateCSS    = "templates/style.css"
)

// Placeholders the report stage leaves for the CLI to fill in the exported
// copy with what belongs to one run, not to the results: the commit, its
// date, and the stage timings. The stored report never holds them, so it is
// the same bytes for the same results.
const (
	PlaceholderCommit     = "@@REPRO_COMMIT@@"
	PlaceholderCommitDate = "@@REPRO_COMMIT_DATE@@"
	MarkerRunProvenance   = "<!--repro:run-provenance-->"
)

// ReportParams are what the report shows beyond its inputs.
type ReportParams struct {
	Title   string `json:"title"`
	Profile string `json:"profile"`
	Seeds   int    `json:"seeds"`
	// ParamsYAML is the profile's effective params.yaml, shown in the
	// provenance appendix.
	ParamsYAML string `json:"params_yaml"`
	// Settings are the training settings of every experiment, for the
	// Methods section's table.
	Settings []Experiment `json:"settings"`
	// Bootstrap sets the paired comparisons and 95 % intervals.
	Bootstrap BootstrapParams `json:"bootstrap"`
}

// ReportInput is everything the report reads: the results it quotes, the
// figures (figures/<name>), the templates, the published numbers and KaTeX.
type ReportInput struct {
	Terrain    pipeline.In[TerrainGrid]
	Split      pipeline.In[TerrainSplit]
	OLS, Ridge pipeline.In[LinearFit]
	Design     pipeline.In[Design]
	SGD        pipeline.In[LinSGDSummary]
	Betas      []pipeline.In[BetaRuns] // OLS and Ridge by SGD, many starts
	Digits     pipeline.In[DigitsData]
	DSplit     pipeline.In[DigitsSplit]
	Cls        pipeline.In[ClsTune]
	LogSGD     pipeline.In[SeedsSummary]
	LBFGS      pipeline.In[LBFGSFit]
	Keras      pipeline.In[SeedsSummary]
	KerasLong  []pipeline.In[SeedsSummary] // none without baseline.long_epochs
	KerasRaw   []pipeline.In[SeedsSummary] // none without baseline.raw_inputs
	Reg, Extra []pipeline.In[RegTune]
	InitChecks []pipeline.In[InitCheck]     // chosen cells retrained at another initialisation
	Placed     []pipeline.In[PlacementRuns] // chosen terrain models on further placements of the grid
	Resplit    []pipeline.In[ResplitRuns]   // chosen digits models on further splits of the digits
	Curve      []pipeline.In[CurvePoint]
	CurveCap   []pipeline.In[CurvePoint] // the learning curve's points of more capacity
	MNIST      []pipeline.In[SeedsSummary]
	Figures    []pipeline.Blob
	FigureData []pipeline.Blob // data.csv of each figure
	Published  pipeline.File
	Template   pipeline.File
	Layout     pipeline.File
	CSS        pipeline.File
	KaTeX      []pipeline.File // third_party/katex; empty when the checkout lacks it
}

func values[T any](ins []pipeline.In[T]) []T {
	out := make([]T, len(ins))
	for i, in := range ins {
		out[i] = in.Value
	}
	return out
}

// Published are the study's published numbers (data/published.json).
type Published struct {
	Source  string
	Terrain map[string]struct {
		TestMSE float64 `json:"test_mse"`
		TestR2  float64 `json:"test_r2"`
	}
	Digits struct {
		BestNetwork struct {
			Architecture, Hidden string
			ValAccuracy          float64 `json:"val_accuracy"`
			TestAccuracy         float64 `json:"test_accuracy"`
		} `json:"best_network"`
		// The initial learning rates of the study's best networks.
		BestNetworkLRs      []float64 `json:"best_network_learning_rates"`
		LogisticValAccuracy float64   `json:"logistic_validation_accuracy"`
		NetworkValAccuracy  float64   `json:"network_validation_accuracy"`
		Keras               struct {
			Architecture  string
			TestAccuracy  float64 `json:"test_accuracy"`
			TrainAccuracy float64 `json:"train_accuracy"`
			Epochs, Runs  int
		}
		SklearnLogisticTestAccuracy float64 `json:"sklearn_logistic_test_accuracy"`
		StudyEpochs                 int     `json:"study_epochs_to_converge"`
	}
}

// ReportOutput is the rendered report and its table exports.
type ReportOutput struct {
	HTML     []byte            `json:"-"`
	CSV      map[string][]byte `json:"-"`
	Warnings []string
	// Provenance is provenance.json (see provenance.go).
	Provenance []byte `json:"-"`
}

// Artifacts stores the HTML, one CSV per table and the provenance of every
// number and figure (ProvFile, exported beside the tables).
func (r ReportOutput) Artifacts() map[string][]byte {
	a := map[string][]byte{"report.html": r.HTML}
	if r.Provenance != nil {
		a[ProvFile] = r.Provenance
	}
	for n, b := range r.CSV {
		a["tables/"+n+".csv"] = b
	}
	return a
}

// reportData is what templates/report.md sees.
type reportData struct {
	P       ReportParams
	Terrain TerrainGrid
	Split   TerrainSplit
	OLS     LinearFit
	Ridge   LinearFit
	Design  Design
	SGD     LinSGDSummary
	Betas   []BetaRuns
	Reg     []RegTune // one per hidden activation
	Extra   []RegTune
	// InitChecks are chosen terrain cells retrained at another
	// initialisation (the sigmoid networks at Glorot).
	InitChecks []InitCheck
	// Placed are the chosen terrain models trained again on further
	// placements of the training grid (terrain.grid_offsets).
	Placed []PlacementRuns
	// Resplit are the chosen digits models trained again on further
	// splits of the digits (digits.resplit_seeds).
	Resplit []ResplitRuns
	Digits  DigitsData
	DSplit  DigitsSplit
	Cls     ClsTune
	LogSGD  SeedsSummary
	LBFGS   LBFGSFit
	Keras   SeedsSummary
	// KerasLong is the baseline trained to convergence (none without
	// baseline.long_epochs).
	KerasLong []SeedsSummary
	// KerasRaw is the baseline on unscaled pixels (none without
	// baseline.raw_inputs).
	KerasRaw []SeedsSummary
	Curve    []CurvePoint
	// CurveCap are the learning curve's points of more capacity (wider,
	// deeper) at some of its sizes.
	CurveCap []CurvePoint
	MNIST    []SeedsSummary
	Pub      Published
	Data     []dataFile
	tables   map[string]report.Table
	used     map[string]bool
	// tileWeights and comparisons are computed once per report (see
	// compare.go).
	tileWeights []float64
	comparisons map[string]models.Comparison
	memo        map[string][]float64 // intervals
	ranks       map[string]ranking
}

type dataFile struct{ File, SHA256, What string }

func (d *reportData) table(name string) (string, error) {
	t, ok := d.tables[name]
	if !ok {
		return "", fmt.Errorf("template asks for table %q; tables: %s", name, strings.Join(sortedNames(d.tables), ", "))
	}
	d.used[name] = true
	return t.Markdown(), nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// reportStage fills templates/report.md with the results and renders it.
func reportStage(_ pipeline.Ctx, p ReportParams, in ReportInput) (ReportOutput, error) {
	d := &reportData{P: p, tables: map[string]report.Table{}, used: map[string]bool{},
		Terrain: in.Terrain.Value, Split: in.Split.Value, OLS: in.OLS.Value, Ridge: in.Ridge.Value, Design: in.Design.Value,
		SGD: in.SGD.Value, Digits: in.Digits.Value, DSplit: in.DSplit.Value, Cls: in.Cls.Value, LogSGD: in.LogSGD.Value,
		LBFGS: in.LBFGS.Value, Keras: in.Keras.Value, KerasLong: values(in.KerasLong), KerasRaw: values(in.KerasRaw), Betas: values(in.Betas), Reg: values(in.Reg), Extra: values(in.Extra), InitChecks: values(in.InitChecks), Placed: values(in.Placed), Resplit: values(in.Resplit), Curve: values(in.Curve), CurveCap: values(in.CurveCap),
		MNIST: values(in.MNIST)}
	pub := in.Published.Data
	if err := json.Unmarshal(pub, &d.Pub); err != nil {
		return ReportOutput{}, fmt.Errorf("%s: %w", PublishedFile, err)
	}
	d.Data = append(d.Data, dataFile{d.Terrain.File, d.Terrain.SHA256, "terrain elevations"},
		dataFile{d.Digits.File, d.Digits.SHA256, "8x8 digits"}, dataFile{PublishedFile, pipeline.HashBytes(pub), "the study's published numbers"})
	buildTables(d)
	buildSummaryTables(d)

	figs := map[string][]byte{}
	for _, f := range in.Figures {
		figs[strings.TrimPrefix(f.Stage(), "figures/")] = f.Data
	}
	pv := newProvenance(d, in)
	src := in.Template.Data
	funcs := template.FuncMap{"mark": pv.mark, "trimExtra": trimExtra, "lcfirst": lowerFirst, "table": d.table, "msd": msd, "pctsd": pctsd, "pctf": pct, "mean": mean, "sd": sdOf, "act": activationName, "dec": func(i int) int { return i - 1 }, "bestEpochs": bestEpochs, "pm": pm, "level": levelNote}
	for k, v := range report.FuncMap() {
		funcs[k] = v
	}
	tmpl, err := template.New(templateReport).Funcs(funcs).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return ReportOutput{}, err
	}
	if err := pv.checkTypedNumbers(src, tmpl.Tree); err != nil {
		return ReportOutput{}, err
	}
	pv.instrument(tmpl)
	var md bytes.Buffer
	if err := tmpl.Execute(&md, d); err != nil {
		return ReportOutput{}, err
	}
	for _, n := range sortedNames(d.tables) {
		if !d.used[n] {
			return ReportOutput{}, fmt.Errorf("table %q is built but %s never shows it", n, templateReport)
		}
	}
	layout, css := in.Layout.Data, in.CSS.Data
	doc := report.Document{
		Markdown: md.Bytes(), Layout: layout, CSS: css, Title: p.Title,
		Meta:      map[string]string{"profile": p.Profile, "commit": PlaceholderCommit, "date of the commit": PlaceholderCommitDate},
		MetaOrder: []string{"commit", "date of the commit", "profile"},
		Figures:   figs, TableCSV: map[string]string{}, FigureData: map[string][]byte{},
	}
	for _, f := range in.FigureData {
		doc.FigureData[strings.TrimPrefix(f.Stage(), "figures/")] = f.Data
	}
	pv.figures(in.Figures, in.FigureData)
	doc.Provenance = pv.text
	out := ReportOutput{CSV: map[string][]byte{}}
	for n, t := range d.tables {
		doc.TableCSV[n] = "report/" + n + ".csv"
		out.CSV[n] = t.CSV()
	}
	if len(in.KaTeX) > 0 {
		files := map[string][]byte{}
		for _, f := range in.KaTeX {
			files[f.Path] = f.Data
		}
		var err error
		if doc.KaTeX, err = report.LoadKaTeXFiles(files); err != nil {
			return ReportOutput{}, err
		}
	}
	html, warns, err := report.Render(doc)
	if err != nil {
		return ReportOutput{}, err
	}
	out.HTML, out.Warnings = html, append(warns, d.EdgeWarnings()...)
	if out.Provenance, err = pv.finish(html); err != nil {
		return ReportOutput{}, err
	}
	return out, nil
}

func bestEpochs(runs []NetRun) []float64 {
	var out []float64
	for _, r := range runs {
		out = append(out, float64(r.BestEpoch))
	}
	return out
}

// KaTeXFiles lists the KaTeX files of the repository (third_party/katex)
// that the report stage reads, or nil when the checkout lacks them.
func KaTeXFiles(fsys fs.FS) []string {
	js, css, fonts := report.KaTeXPaths()
	var out []string
	for _, f := range []string{js, css} {
		if _, err := fs.Stat(fsys, f); err != nil {
			return nil
		}
		out = append(out, f)
	}
	ms, _ := fs.Glob(fsys, path.Join(fonts, "*.woff2"))
	return append(out, ms...)
}
