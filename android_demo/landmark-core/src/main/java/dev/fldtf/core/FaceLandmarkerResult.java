package dev.fldtf.core;

import java.util.Collections;
import java.util.List;

/**
 * What {@link FaceLandmarker} found in one image or frame, as the Python API's result: the faces
 * (none when there is no face or the face check failed), plus what the screen shows about the frame.
 */
public final class FaceLandmarkerResult {
  public final List<Face> faces;
  /** Why no face is shown (no detection, a failed face check), or null when there are faces. */
  public final String noFaceReason;
  /** The crop the model ran on this frame, or null when it did not run (for drawing while debugging). */
  public final Square lastCrop;
  /** The detector's boxes on this frame (empty when it did not run or found none). */
  public final List<Detection> detections;
  /** Total landmark model time on this frame, milliseconds (0 when it did not run). */
  public final double modelMs;

  FaceLandmarkerResult(List<Face> faces, String noFaceReason, Square lastCrop, List<Detection> detections,
                       double modelMs) {
    this.faces = Collections.unmodifiableList(faces);
    this.noFaceReason = noFaceReason;
    this.lastCrop = lastCrop;
    this.detections = Collections.unmodifiableList(detections);
    this.modelMs = modelMs;
  }
}
