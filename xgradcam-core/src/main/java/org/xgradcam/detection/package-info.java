/**
 * Building blocks for explaining detectors: detections, IoU, greedy and class-aware non-maximum
 * suppression with torchvision.ops' semantics, and the decoding of raw dense heads as YOLO-family
 * exports give them ([1, 4+K, N] and [1, N, 5+K]).
 */
package org.xgradcam.detection;
