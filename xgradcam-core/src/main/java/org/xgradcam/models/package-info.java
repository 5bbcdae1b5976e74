/**
 * Models by name: the catalogue of pretrained ONNX models (where to download them, their
 * SHA-256, how to preprocess images for them, their labels), the cache they are downloaded into
 * (resumable, checksum-verified), class labels, and {@link org.xgradcam.models.ModelSpec}: a
 * model with its preprocessing and labels, from a catalogue name or any .onnx file.
 */
package org.xgradcam.models;
