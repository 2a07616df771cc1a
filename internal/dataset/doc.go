// Package dataset loads training data for the trainer: CSV files (plain or
// gzip-compressed) and Parquet files, or a folder of them, detected by
// their content rather than their name, into an ml.Dataset.
//
// Loading streams: a first pass over each file hashes it and counts its
// rows (Parquet keeps the count in its footer), the feature matrix is then
// allocated once at its final size, and a second pass parses values
// straight into it. The peak memory of a load is the float64 matrix plus
// small per-file buffers, never a multiple of it; see ml.PartitionRandom
// for the split that keeps training at that size.
//
// Every error names the file (and where known the line, row or column) and
// what is wrong, on one line.
package dataset
