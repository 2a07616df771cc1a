// Package ml is the model work of the trainer: data sets (CSV reader, the
// embedded Iris set, train/test splits), a CART random forest and a
// multinomial logistic regression, scikit-learn compatible classification
// reports, and the versioned model file format.
//
// Training is deterministic: the same data, parameters and seed give a
// byte-identical model file whatever the number of workers. Randomness comes
// from seeded PCG generators, one per tree, derived from the seed.
package ml
