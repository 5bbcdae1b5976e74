/**
 * Clips and volumes: the frames of an animated GIF or a folder, which of them a model of T frames
 * takes, and the frames of a map written as an animated GIF. The engine sees a clip as a 5-D
 * input [1, C, T, H, W] and its 3-D maps through {@link org.xgradcam.onnx.LayerView}; the
 * pictures see it as its frames stacked top to bottom.
 */
package org.xgradcam.video;
