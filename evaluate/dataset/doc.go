// Package dataset streams labelled evaluation data one row at a time, so
// memory does not grow with the dataset: CSV and JSON Lines tables
// (feature columns, a label column, optional group, slice and weight
// columns) and image folders (one subfolder per class). Every error about
// the data names the file and the row.
package dataset
