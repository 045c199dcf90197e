package dev.fldtf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A polyline through points of a scheme, from the card's {@code scheme.contours} (fld_tf/schemes.py
 * {@code Contour}): name, point indices in drawing order, whether it closes, and its region
 * ({@code jaw}, {@code brows}, {@code nose}, {@code eyes}, {@code mouth}). Sparse schemes have none.
 */
public final class Contour {
  public final String name;
  private final int[] indices;
  public final boolean closed;
  public final String region;

  public Contour(String name, int[] indices, boolean closed, String region) {
    this.name = name;
    this.indices = indices.clone();
    this.closed = closed;
    this.region = region;
  }

  /** The point indices in drawing order (a copy). */
  public int[] indices() {
    return indices.clone();
  }

  /** The indices to join with lines: a closed contour repeats its first index at the end. */
  public int[] polyline() {
    if (!closed || indices.length < 3) return indices.clone();
    int[] out = java.util.Arrays.copyOf(indices, indices.length + 1);
    out[indices.length] = indices[0];
    return out;
  }

  /** Parses {@code scheme.contours}; every index must name one of {@code numPoints} points. */
  static List<Contour> parseAll(Object value, int numPoints, String path) {
    List<Object> list = Json.array(value, path);
    List<Contour> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      String at = path + "[" + i + "]";
      Map<String, Object> c = Json.object(list.get(i), at);
      int[] indices = ModelCard.indices(Json.required(c, "indices", at), numPoints, at + ".indices");
      if (indices.length < 2) throw new IllegalArgumentException(at + ".indices must hold at least 2 points");
      out.add(new Contour(Json.string(Json.required(c, "name", at), at + ".name"), indices,
          Json.bool(Json.required(c, "closed", at), at + ".closed"),
          Json.string(Json.required(c, "region", at), at + ".region")));
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public String toString() {
    return "Contour(" + name + ", " + indices.length + " points" + (closed ? ", closed" : "") + ", " + region + ")";
  }
}
