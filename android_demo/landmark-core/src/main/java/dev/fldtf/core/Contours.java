package dev.fldtf.core;

/**
 * Polylines to draw between points of the dense schemes (0-based indices, as fld_tf/schemes.py).
 * A closed polyline repeats its first index at the end. Sparse schemes (mtfl5) have none.
 */
public final class Contours {
  private Contours() {}

  private static final int[][] IBUG68 = {
      span(0, 16, false),                       // jaw
      span(17, 21, false), span(22, 26, false), // brows
      span(27, 30, false), span(31, 35, false), // nose bridge, nostrils
      span(36, 41, true), span(42, 47, true),   // eyes
      span(48, 59, true), span(60, 67, true),   // outer, inner lip
  };

  private static final int[][] WFLW98 = {
      span(0, 32, false),                       // face contour
      span(33, 41, true), span(42, 50, true),   // brows
      span(51, 54, false), span(55, 59, false), // nose bridge, nostrils
      span(60, 67, true), span(68, 75, true),   // eyes
      span(76, 87, true), span(88, 95, true),   // outer, inner lip
  };

  /** The polylines for {@code schemeName}, or none when the scheme has no table. */
  public static int[][] forScheme(String schemeName) {
    switch (schemeName) {
      case "ibug68":
        return IBUG68;
      case "wflw98":
        return WFLW98;
      default:
        return new int[0][];
    }
  }

  private static int[] span(int first, int last, boolean closed) {
    int n = last - first + 1;
    int[] out = new int[closed ? n + 1 : n];
    for (int i = 0; i < n; i++) out[i] = first + i;
    if (closed) out[n] = first;
    return out;
  }
}
