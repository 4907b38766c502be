package stages

import (
	"gonum.org/v1/gonum/mat"

	"github.com/repro-dev/repro/data"
	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// The files of the MNIST distribution, inside the GoMNIST module.
const (
	mnistTrainImages = "data/train-images-idx3-ubyte.gz"
	mnistTrainLabels = "data/train-labels-idx1-ubyte.gz"
	mnistTestImages  = "data/t10k-images-idx3-ubyte.gz"
	mnistTestLabels  = "data/t10k-labels-idx1-ubyte.gz"
)

// MNISTParams configure one network on MNIST; the files are named by
// module@version and their path in the module.
type MNISTParams struct {
	Net        NetParams `json:"net"`
	Validation int       `json:"validation"`
	Files      [4]string `json:"files"` // train images, train labels, test images, test labels
}

// mnistMatrix scales the images to [0, 1], one per row.
func mnistMatrix(m data.MNIST, from, to int) (*mat.Dense, []int) {
	d := m.Rows * m.Cols
	x := mat.NewDense(to-from, d, nil)
	raw := x.RawMatrix().Data
	for i, p := range m.Pixels[from*d : to*d] {
		raw[i] = float64(p) / 255
	}
	return x, m.Labels[from:to]
}

// mnistNet trains one network on the MNIST training images (the last
// Validation of them held out for validation) and scores it on the 10,000
// test images.
// MNISTInput is the four files of the MNIST distribution: training images
// and labels, test images and labels.
type MNISTInput struct{ Files []pipeline.File }

func mnistNet(c pipeline.Ctx, p MNISTParams, in MNISTInput) (NetRun, error) {
	var raw [4][]byte
	for i, f := range in.Files {
		raw[i] = f.Data
	}
	train, err := data.ReadMNIST(p.Files[0], raw[0], p.Files[1], raw[1])
	if err != nil {
		return NetRun{}, err
	}
	test, err := data.ReadMNIST(p.Files[2], raw[2], p.Files[3], raw[3])
	if err != nil {
		return NetRun{}, err
	}
	n := len(train.Labels)
	xt, lt := mnistMatrix(train, 0, n-p.Validation)
	xv, lv := mnistMatrix(train, n-p.Validation, n)
	xs, ls := mnistMatrix(test, 0, len(test.Labels))
	net, r, err := trainNet(c, p.Net, xt, models.OneHot(lt, 10), xv, models.OneHot(lv, 10), models.MonitorErrorRate)
	if err != nil {
		return r, err
	}
	score(&r, net, xv, lv, xs, ls)
	return r, nil
}
