package dev.fldtf.demo

import android.content.Context
import android.os.SystemClock
import android.util.Log
import androidx.camera.core.ImageProxy
import dev.fldtf.core.CameraFrame
import dev.fldtf.core.Contours
import dev.fldtf.core.FaceFilterAnchors
import dev.fldtf.core.FaceTracker
import dev.fldtf.core.InputTensorizer
import dev.fldtf.core.LandmarkDecoder
import dev.fldtf.core.OneEuroFilter
import dev.fldtf.core.Square

/**
 * One face per frame: rotation, detector, crop, landmark model, decoding, smoothing, filter anchors.
 * All arithmetic is the Java core's (dev.fldtf.core); this class wires it to CameraX, MediaPipe and LiteRT.
 *
 * Frames (see CameraFrame): CameraX's sensor buffer is turned upright; the detector, crop and model
 * work on upright pixels; results are reported in the display frame (mirrored for the front camera).
 *
 * Thread: construct, call [detectLiveStream] and [close] on ONE thread (the analyzer's executor);
 * the GPU accelerator must be used on the thread that created it.
 */
class LandmarkerHelper(
    context: Context,
    val entry: ModelEntry,
    val delegate: Delegate,
    private val listener: LandmarkerListener,
) : AutoCloseable {
    /** One-Euro smoothing on or off; may be flipped from any thread. */
    @Volatile
    var smoothing = true

    private val card = entry.card
    private val model = LandmarkModel(context.assets, card, delegate)
    private val detector = try {
        FaceBoxDetector(context)
    } catch (e: Exception) {
        model.close()
        throw e
    }
    private val tensorizer = InputTensorizer.forCard(card)
    private val rgb = tensorizer.newRgb()
    private val tracker = FaceTracker(card.crop, DETECTOR_BOX_SCALE, REDETECT_EVERY)
    private val smoother = OneEuroFilter(MIN_CUTOFF_HZ, BETA, D_CUTOFF_HZ)
    private val anchorGroups = runCatching { FaceFilterAnchors.Groups.forCard(card) }
        .onFailure { Log.w(TAG, "no face-filter anchors: ${it.message}") }.getOrNull()
    private val contours = Contours.forScheme(card.schemeName)

    /** Processes one camera frame and closes it. */
    fun detectLiveStream(image: ImageProxy, isFrontCamera: Boolean) {
        val start = SystemClock.uptimeMillis()
        val timeSeconds = image.imageInfo.timestamp / 1e9
        val rotation = image.imageInfo.rotationDegrees
        try {
            val bitmap = image.use { it.toBitmap() } // the whole RGBA buffer, not rotated
            val frame = CameraFrame(bitmap.width, bitmap.height, rotation, isFrontCamera)
            val sensor = IntArray(bitmap.width * bitmap.height)
            bitmap.getPixels(sensor, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
            val bundle = process(frame.sensorToUpright(sensor), frame, timeSeconds, start)
            if (bundle != null) listener.onResults(bundle) else listener.onEmpty(timeSeconds, elapsed(start))
        } catch (e: Exception) { // LiteRtException is a checked Exception, not a RuntimeException
            Log.e(TAG, "frame failed", e)
            listener.onError(e.message ?: e.toString(), gpuFailed = delegate == Delegate.GPU)
        }
    }

    private fun process(upright: IntArray, frame: CameraFrame, timeSeconds: Double, start: Long): ResultBundle? {
        val width = frame.uprightWidth()
        val height = frame.uprightHeight()
        val detectorRan = tracker.needsDetection()
        val box = if (detectorRan) detector.detect(upright, width, height) else null
        val square = tracker.chooseCrop(box, detectorRan)
        if (square == null) {
            smoother.reset()
            return null
        }
        val fromTracking = tracker.isTracking()
        tensorizer.sampleRgb(upright, width, height, square, rgb)
        val modelStart = SystemClock.uptimeMillis()
        val output = model.run(rgb)
        val modelMs = SystemClock.uptimeMillis() - modelStart
        val points = LandmarkDecoder.decode(output, square, tensorizer.size())
        tracker.update(points, square)
        val smoothed = if (smoothing) smoother.filter(points, timeSeconds) else points.also { smoother.reset() }
        val display = LandmarkDecoder.toDisplay(smoothed, frame)
        return ResultBundle(
            frame = frame,
            points = display,
            contours = contours,
            box = box?.let { LandmarkDecoder.toDisplay(it, frame) },
            crop = cropCorners(square, frame),
            anchors = anchorGroups?.let { FaceFilterAnchors.compute(display, it) },
            cropSource = if (fromTracking) "tracking" else "detector",
            modelMs = modelMs,
            frameMs = elapsed(start),
            timeSeconds = timeSeconds,
        )
    }

    /** The crop's top-left and bottom-right corners in the display frame (for drawing). */
    private fun cropCorners(square: Square, frame: CameraFrame): FloatArray {
        val half = square.side / 2
        val corners = floatArrayOf(square.cx - half, square.cy - half, square.cx + half, square.cy + half)
        return LandmarkDecoder.toDisplay(corners, frame)
    }

    private fun elapsed(start: Long) = SystemClock.uptimeMillis() - start

    override fun close() {
        model.close()
        detector.close()
    }

    /** Reports results; called on the helper's thread. */
    interface LandmarkerListener {
        fun onResults(bundle: ResultBundle)

        /** No face in this frame. */
        fun onEmpty(timeSeconds: Double, frameMs: Long)

        fun onError(message: String, gpuFailed: Boolean = false)
    }

    companion object {
        private const val TAG = "LandmarkerHelper"

        /**
         * Crop side / box width for BlazeFace boxes, or NaN to use the card's box_scale (measured on
         * CUHK boxes). Calibrate per detector: log FaceTracker.meanSideRatio() while a face is tracked
         * and put it here. The landmark-tracking crop takes over from the second frame, so the box
         * rule only has to be close enough for one frame.
         */
        const val DETECTOR_BOX_SCALE = Double.NaN

        /** Run the detector at least every this many frames while tracking, to notice a lost face. */
        const val REDETECT_EVERY = 10

        // One-Euro smoothing in pixels of the analysis frame (about 640 x 480): 1 Hz when still,
        // +0.05 Hz per px/s of speed, so a face moving 300 px/s is filtered at about 16 Hz.
        const val MIN_CUTOFF_HZ = 1.0
        const val BETA = 0.05
        const val D_CUTOFF_HZ = 1.0
    }
}

/**
 * One frame's result. Coordinates are display-frame pixels (upright, mirrored for the front camera);
 * [frame] maps them to the view. [box] is the detector's face box when the detector ran (x0, y0, x1, y1;
 * x0 > x1 after mirroring), [crop] the model crop's two opposite corners.
 */
class ResultBundle(
    val frame: CameraFrame,
    val points: FloatArray,
    val contours: Array<IntArray>,
    val box: FloatArray?,
    val crop: FloatArray,
    val anchors: FaceFilterAnchors?,
    val cropSource: String,
    val modelMs: Long,
    val frameMs: Long,
    val timeSeconds: Double,
)
