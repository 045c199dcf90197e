package dev.fldtf.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * OneEuroFilter, FaceTracker and the tracking defaults against fld_tf.tracking itself (reference/tracking.json,
 * written by {@code tools/make_reference.py}): the same inputs must give the same outputs, frame by frame.
 */
public class TrackingReferenceTest {
  private static final Map<String, Object> DOC =
      Json.object(Json.parse(TestFiles.resource("reference/tracking.json")), "tracking.json");

  @Test
  public void defaultsArePythonsTracking() {
    assertEquals(ModelCard.Tracking.DEFAULTS, ModelCard.parseTracking(Json.object(DOC.get("defaults"), "defaults")));
  }

  @Test
  public void oneEuroFilterMatchesFldTfTracking() {
    List<Object> filters = Json.array(DOC.get("filters"), "filters");
    assertEquals(2, filters.size());
    for (int s = 0; s < filters.size(); s++) {
      Map<String, Object> seq = Json.object(filters.get(s), "filters");
      OneEuroFilter f = OneEuroFilter.of(ModelCard.parseTracking(Json.object(seq.get("tracking"), "tracking")));
      List<Object> steps = Json.array(seq.get("steps"), "steps");
      for (int i = 0; i < steps.size(); i++) {
        Map<String, Object> step = Json.object(steps.get(i), "step");
        float[] out = f.filter(GoldenVector.floats(step.get("points"), "points"), Json.number(step.get("time"), "time"),
            Json.number(step.get("scale"), "scale"));
        // Bit for bit: float64 in both, rounded to float32 last (numpy sums the squares pairwise, Java in
        // order; that has not changed a float32 output here).
        assertArrayEquals("sequence " + s + ", step " + i, GoldenVector.floats(step.get("out"), "out"), out, 0f);
      }
    }
  }

  @Test
  public void faceTrackerMatchesFldTfTrackingFrameByFrame() {
    Map<String, Object> c = Json.object(DOC.get("crop"), "crop");
    List<Object> ls = Json.array(c.get("landmark_shift"), "");
    List<Object> bs = Json.array(c.get("box_shift"), "");
    ModelCard.Crop crop = new ModelCard.Crop(Json.number(c.get("landmark_scale"), ""), Json.number(ls.get(0), ""),
        Json.number(ls.get(1), ""), Json.number(c.get("box_scale"), ""), Json.number(bs.get(0), ""),
        Json.number(bs.get(1), ""));
    List<Object> trackers = Json.array(DOC.get("trackers"), "trackers");
    assertEquals(2, trackers.size());
    for (int s = 0; s < trackers.size(); s++) {
      Map<String, Object> seq = Json.object(trackers.get(s), "trackers");
      FaceTracker t = new FaceTracker(crop, crop.datasetBoxRule(),
          ModelCard.parseTracking(Json.object(seq.get("tracking"), "tracking")));
      List<Object> frames = Json.array(seq.get("frames"), "frames");
      for (int i = 0; i < frames.size(); i++) {
        Map<String, Object> fr = Json.object(frames.get(i), "frame");
        String at = "sequence " + s + ", frame " + i;
        boolean ran = t.needsDetection();
        assertEquals(at + ": needs_detection", fr.get("needs_detection"), ran);
        float[] box = ran && fr.get("detection") != null ? GoldenVector.floats(fr.get("detection"), "detection") : null;
        Square square = t.chooseCrop(box, ran);
        assertEquals(at + ": crop", square(fr.get("crop")), square);
        if (square != null) {
          assertEquals(at + ": update", fr.get("update"), t.update(GoldenVector.floats(fr.get("points"), "points"), square));
        }
        assertEquals(at + ": tracked", square(fr.get("tracked")), t.tracked());
      }
    }
  }

  private static Square square(Object value) {
    if (value == null) return null;
    float[] s = GoldenVector.floats(value, "square");
    return new Square(s[0], s[1], s[2]);
  }
}
