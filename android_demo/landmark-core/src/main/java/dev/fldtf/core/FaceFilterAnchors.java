package dev.fldtf.core;

import java.util.Arrays;

/**
 * Where to draw face-filter sprites (glasses, moustache), from a scheme's eye, nose and mouth points.
 *
 * <p>Point groups come from the card: by NAME when the scheme names its points (mtfl5:
 * {@code left_eye, right_eye, nose_tip, left_mouth, right_mouth}); otherwise from {@link #TABLE},
 * keyed by scheme name, for schemes whose points are only numbered:
 * <pre>
 *   scheme  | eye A (mean)        | eye B (mean)        | nose tip | mouth corners
 *   ibug68  | 36-41 (image left)  | 42-47               | 30       | 48, 54
 *   wflw98  | 60-67, 96           | 68-75, 97           | 54       | 76, 82
 * </pre>
 * (0-based; iBUG 300-W and WFLW layouts, the same numbering as fld_tf/schemes.py.)
 *
 * <p>Orientation comes from the face, not from the left/right labels: the eye line's direction is
 * chosen so that "up" (its normal, towards the eyes from the mouth) points from the mouth to the
 * eyes. So the anchors are right for mirrored (selfie) points and for any head roll, and a sprite
 * drawn at {@code angle} is never upside down.
 */
public final class FaceFilterAnchors {
  /** Glasses width as a multiple of the distance between the eye centres. */
  public static final float GLASSES_WIDTH_PER_EYE_DISTANCE = 2.1f;
  /** Moustache width as a multiple of the mouth-corner distance. */
  public static final float MOUSTACHE_WIDTH_PER_MOUTH_WIDTH = 1.5f;
  /** Moustache centre: this fraction of the way from the nose tip to the mouth centre. */
  public static final float MOUSTACHE_POSITION = 0.55f;

  /** The numbered-scheme table above. */
  static final String[] TABLE_SCHEMES = {"ibug68", "wflw98"};
  static final int[][][] TABLE = {
      {range(36, 42), range(42, 48), {30}, {48}, {54}},
      {concat(range(60, 68), 96), concat(range(68, 76), 97), {54}, {76}, {82}},
  };

  /** A sprite placement: centre (pixels), rotation (radians, y down, clockwise positive), width. */
  public static final class Anchor {
    public final float x;
    public final float y;
    public final float angle;
    public final float width;

    Anchor(float x, float y, float angle, float width) {
      this.x = x;
      this.y = y;
      this.angle = angle;
      this.width = width;
    }

    @Override
    public String toString() {
      return "Anchor(x=" + x + ", y=" + y + ", angle=" + angle + ", width=" + width + ")";
    }
  }

  /** Index groups for the two eyes, the nose tip and the two mouth corners (each averaged). */
  public static final class Groups {
    final int[] eyeA;
    final int[] eyeB;
    final int[] nose;
    final int[] mouthA;
    final int[] mouthB;

    Groups(int[] eyeA, int[] eyeB, int[] nose, int[] mouthA, int[] mouthB) {
      this.eyeA = eyeA;
      this.eyeB = eyeB;
      this.nose = nose;
      this.mouthA = mouthA;
      this.mouthB = mouthB;
    }

    /** Groups by point name if the card names them, else from {@link #TABLE}; else an error. */
    public static Groups forCard(ModelCard card) {
      String[] names = {"left_eye", "right_eye", "nose_tip", "left_mouth", "right_mouth"};
      int[] idx = new int[names.length];
      boolean allNamed = true;
      for (int i = 0; i < names.length; i++) {
        idx[i] = card.indexOf(names[i]);
        allNamed &= idx[i] >= 0;
      }
      if (allNamed) {
        return new Groups(new int[] {idx[0]}, new int[] {idx[1]}, new int[] {idx[2]},
            new int[] {idx[3]}, new int[] {idx[4]});
      }
      int t = Arrays.asList(TABLE_SCHEMES).indexOf(card.schemeName);
      if (t < 0) {
        throw new IllegalArgumentException("scheme \"" + card.schemeName + "\" names no points "
            + String.join(", ", names) + " and has no index table (known: "
            + String.join(", ", TABLE_SCHEMES) + ")");
      }
      int[][] g = TABLE[t];
      for (int[] group : g) {
        for (int i : group) {
          if (i >= card.numPoints()) {
            throw new IllegalArgumentException("scheme \"" + card.schemeName + "\" table uses point "
                + i + " but the card has " + card.numPoints() + " points");
          }
        }
      }
      return new Groups(g[0], g[1], g[2], g[3], g[4]);
    }
  }

  public final Anchor glasses;
  public final Anchor moustache;

  private FaceFilterAnchors(Anchor glasses, Anchor moustache) {
    this.glasses = glasses;
    this.moustache = moustache;
  }

  /**
   * @param points interleaved {@code x, y} in any frame (upright, display or view); the anchors are
   *     in the same frame
   */
  public static FaceFilterAnchors compute(float[] points, Groups groups) {
    float[] a = mean(points, groups.eyeA);
    float[] b = mean(points, groups.eyeB);
    float[] nose = mean(points, groups.nose);
    float[] ma = mean(points, groups.mouthA);
    float[] mb = mean(points, groups.mouthB);
    float eyesX = (a[0] + b[0]) / 2, eyesY = (a[1] + b[1]) / 2;
    float mouthX = (ma[0] + mb[0]) / 2, mouthY = (ma[1] + mb[1]) / 2;
    // "Up" on the face: from the mouth centre to the eye centre.
    float upX = eyesX - mouthX, upY = eyesY - mouthY;

    float eyeAngle = orientedAngle(b[0] - a[0], b[1] - a[1], upX, upY);
    float eyeDistance = (float) Math.hypot(b[0] - a[0], b[1] - a[1]);
    Anchor glasses = new Anchor(eyesX, eyesY, eyeAngle, GLASSES_WIDTH_PER_EYE_DISTANCE * eyeDistance);

    float mouthAngle = orientedAngle(mb[0] - ma[0], mb[1] - ma[1], upX, upY);
    float mouthWidth = (float) Math.hypot(mb[0] - ma[0], mb[1] - ma[1]);
    Anchor moustache = new Anchor(nose[0] + MOUSTACHE_POSITION * (mouthX - nose[0]),
        nose[1] + MOUSTACHE_POSITION * (mouthY - nose[1]), mouthAngle,
        MOUSTACHE_WIDTH_PER_MOUTH_WIDTH * mouthWidth);
    return new FaceFilterAnchors(glasses, moustache);
  }

  /**
   * Angle of the line {@code (dx, dy)}, turned round if needed so that its upward normal
   * {@code (dy, -dx)} (y points down) agrees with the face's up vector.
   */
  static float orientedAngle(float dx, float dy, float upX, float upY) {
    if (dy * upX - dx * upY < 0) {
      dx = -dx;
      dy = -dy;
    }
    return (float) Math.atan2(dy, dx);
  }

  private static float[] mean(float[] points, int[] group) {
    float x = 0, y = 0;
    for (int i : group) {
      x += points[2 * i];
      y += points[2 * i + 1];
    }
    return new float[] {x / group.length, y / group.length};
  }

  private static int[] range(int from, int to) {
    int[] out = new int[to - from];
    for (int i = 0; i < out.length; i++) out[i] = from + i;
    return out;
  }

  private static int[] concat(int[] a, int b) {
    int[] out = Arrays.copyOf(a, a.length + 1);
    out[a.length] = b;
    return out;
  }
}
