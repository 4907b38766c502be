package models

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"testing"
)

// TestTrainingBitsUnchanged trains small networks of every kind the study
// trains (terrain regression with each hidden activation, digits with a
// softmax and a sigmoid output, Adam, L2) and compares a hash of the float
// bits of their parameters and histories with the hash the code gave when
// the test was written: speed work on the training loop must leave every
// result bit-identical (issue 28). If a change of the numerics is intended,
// say so in the commit and update the hashes (the test prints them).
func TestTrainingBitsUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  NetConfig
		tc   TrainConfig
		want string
	}{
		{"terrain sigmoid", NetConfig{Inputs: 2, Layers: []Layer{{8, Sigmoid}, {8, Sigmoid}, {1, Identity}}, Init: InitHe, Cost: CostMSE},
			TrainConfig{Epochs: 30, BatchSize: 20, LR0: 0.3, Momentum: 0.6, Decay: 0.0001, RampUp: 10, Patience: 10, Seed: 3},
			"099218f32c218b7d6511f29f1e09be0cf048a77caaad2fada35a35d338f11d84"},
		{"terrain relu", NetConfig{Inputs: 2, Layers: []Layer{{16, ReLU}, {16, ReLU}, {1, Identity}}, Init: InitHe, Cost: CostMSE},
			TrainConfig{Epochs: 30, BatchSize: 20, LR0: 0.1, Momentum: 0.6, Decay: 0.0001, RampUp: 10, Seed: 4},
			"2086fa3c014f51da128cbe3a20a2ec07bf1be24d588a6f13e7d95791b63be7ec"},
		{"terrain leaky relu, L2", NetConfig{Inputs: 2, Layers: []Layer{{8, LeakyReLU}, {1, Identity}}, Init: InitGlorot, Cost: CostMSE, L2: 1e-4},
			TrainConfig{Epochs: 30, BatchSize: 7, LR0: 0.1, Momentum: 0.6, Seed: 5},
			"466bfa20e46139b1c607f2d767374feefa96f469c47a136a5c79f49964e44473"},
		{"terrain adam", NetConfig{Inputs: 2, Layers: []Layer{{32, ReLU}, {32, ReLU}, {1, Identity}}, Init: InitHe, Cost: CostMSE},
			TrainConfig{Epochs: 20, BatchSize: 20, Optimizer: Adam, LR0: 0.003, Seed: 6},
			"c75ba4d978cfa8c14e9aeae33e0c2604f2064e966aabba01a857a605e34146a1"},
		{"digits softmax", NetConfig{Inputs: 64, Layers: []Layer{{32, ReLU}, {10, Softmax}}, Init: InitGlorot, Cost: CostCrossEntropy},
			TrainConfig{Epochs: 10, BatchSize: 20, LR0: 0.3, Momentum: 0.6, Decay: 0.0001, RampUp: 5, Monitor: MonitorErrorRate, Seed: 7},
			"d6cf9e709d354b84ee1aa628a794f8fa3611750d77c8bdf9f03c56db2beae60e"},
		{"digits sigmoid output", NetConfig{Inputs: 64, Layers: []Layer{{16, Sigmoid}, {10, Sigmoid}}, Init: InitNormal, Cost: CostCrossEntropy},
			TrainConfig{Epochs: 10, BatchSize: 20, LR0: 1, Momentum: 0.6, Seed: 8},
			"efde53d11452746a7142a98bc664aca4164302861b0a00c71ac8fb48c99e7e41"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, h, xvv := trainSmall(t, tc.cfg, tc.tc)
			hs := sha256.New()
			for _, v := range n.theta {
				hs.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
			}
			for _, v := range n.Predict(xvv).RawMatrix().Data {
				hs.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
			}
			// The history as JSON: encoding/json writes the shortest
			// decimal that reads back to the same float64, so equal
			// text means equal bits.
			b, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			hs.Write(b)
			got := hex.EncodeToString(hs.Sum(nil))
			if got != tc.want {
				t.Errorf("hash of the trained parameters, predictions and history = %s, want %s", got, tc.want)
			}
		})
	}
}
