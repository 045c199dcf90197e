package dev.fldtf.core;

/** A face detector's box {@code x0, y0, x1, y1} (our pixel convention) and score. */
public final class Detection {
  public final float[] box;
  public final float score;

  public Detection(float[] box, float score) {
    if (box.length != 4 || !(box[2] > box[0]) || !(box[3] > box[1])) {
      throw new IllegalArgumentException("box must be x0, y0, x1, y1 with x0 < x1, y0 < y1");
    }
    this.box = box.clone();
    this.score = score;
  }

  public float area() {
    return (box[2] - box[0]) * (box[3] - box[1]);
  }
}
