package dev.fldtf.core;

/**
 * A crop square {@code (cx, cy, side)} in image pixels, float32 as in {@code fld_tf/geometry.py}.
 *
 * <p>Pixel coordinates are 0-based with the centre of the top-left pixel at (0, 0).
 */
public final class Square {
  public final float cx;
  public final float cy;
  public final float side;

  public Square(float cx, float cy, float side) {
    this.cx = cx;
    this.cy = cy;
    this.side = side;
  }

  /** True when {@code (x, y)} lies inside the square. */
  public boolean contains(float x, float y) {
    return Math.abs(x - cx) <= side / 2 && Math.abs(y - cy) <= side / 2;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Square)) return false;
    Square s = (Square) o;
    return Float.compare(cx, s.cx) == 0 && Float.compare(cy, s.cy) == 0 && Float.compare(side, s.side) == 0;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Float.hashCode(cx) + Float.hashCode(cy)) + Float.hashCode(side);
  }

  @Override
  public String toString() {
    return "Square(cx=" + cx + ", cy=" + cy + ", side=" + side + ")";
  }
}
