package ml

import _ "embed"

// IrisCSV is the Iris data set (150 rows, 4 features, label 0–2) with a
// split column holding scikit-learn's train_test_split(test_size=0.2,
// random_state=42) assignment.
//
//go:embed iris.csv
var IrisCSV []byte

// IrisName is the data set name that selects the embedded Iris set.
const IrisName = "iris"

// Iris parses the embedded Iris set: label column "label", split column
// "split" (Dataset.Test set from it).
func Iris() (*Dataset, error) {
	return ReadCSV(IrisCSV, IrisName, &CSVOptions{Label: "label", SplitColumn: "split"})
}
