package jobs

import (
	"github.com/frogbridge/frogbridge/internal/config"
	"github.com/frogbridge/frogbridge/internal/ml"
)

// MaxInstanceCount is the largest instance_count a training request may
// ask for. Each instance grows about n_estimators/instance_count trees
// (at most 1000/16 ≈ 63), and every one must fit in the compute cluster's
// maximum node count; raise it with the cluster's size, up to
// config.MaxWorldSize, which the trainer accepts.
const MaxInstanceCount = 16

var _ [config.MaxWorldSize - MaxInstanceCount]struct{} // MaxInstanceCount <= MaxWorldSize

// validateInstances checks instance_count (nil means 1) and that a
// multi-instance job trains a random forest, the model the trainer can
// split across processes.
func validateInstances(n *int, args []string) (int, error) {
	if n == nil {
		return 1, nil
	}
	if *n < 1 || *n > MaxInstanceCount {
		return 0, invalid("instance_count", "must be a whole number from 1 to %d", MaxInstanceCount)
	}
	if *n > 1 {
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "--model" && args[i+1] != ml.RandomForest {
				return 0, invalid("instance_count", "%d instances train only %s; use instance_count 1 for %s", *n, ml.RandomForest, args[i+1])
			}
		}
	}
	return *n, nil
}
