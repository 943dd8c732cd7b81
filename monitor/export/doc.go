// Package export writes captured requests, with their feedback labels
// joined, as data for retraining and evaluation: JSON Lines (one record a
// line, tensors as captured) or an image folder (one PNG per image input,
// in a folder per label).
package export
