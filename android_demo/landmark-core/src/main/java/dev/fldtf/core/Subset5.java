package dev.fldtf.core;

/**
 * The card's {@code scheme.subset5}: for each MTFL point (image-left eye, image-right eye, nose tip,
 * image-left and image-right mouth corner), the indices of the scheme's points whose mean defines
 * it (fld_tf/schemes.py {@code to_subset5}). Lets the face filter and the face check work on any
 * scheme, with no table keyed by a scheme name.
 */
public final class Subset5 {
  public static final int LEFT_EYE = 0;
  public static final int RIGHT_EYE = 1;
  public static final int NOSE_TIP = 2;
  public static final int LEFT_MOUTH = 3;
  public static final int RIGHT_MOUTH = 4;

  private final int[][] groups;

  private Subset5(int[][] groups) {
    this.groups = groups;
  }

  /** The card's groups; an error naming the card when it has none. */
  public static Subset5 forCard(ModelCard card) {
    int[][] g = card.subset5();
    if (g == null) {
      throw new IllegalArgumentException("model card " + card.name + " (" + card.numPoints()
          + " points) has no scheme.subset5, so eyes, nose and mouth cannot be found");
    }
    return new Subset5(g);
  }

  /** The card's groups, or null when it has none. */
  public static Subset5 forCardOrNull(ModelCard card) {
    int[][] g = card.subset5();
    return g == null ? null : new Subset5(g);
  }

  /** {@code points} (interleaved x, y, {@code K} points) -> the 5 MTFL points, interleaved. */
  public float[] apply(float[] points) {
    float[] out = new float[10];
    for (int i = 0; i < 5; i++) {
      float x = 0;
      float y = 0;
      for (int k : groups[i]) {
        x += points[2 * k];
        y += points[2 * k + 1];
      }
      out[2 * i] = x / groups[i].length;
      out[2 * i + 1] = y / groups[i].length;
    }
    return out;
  }
}
