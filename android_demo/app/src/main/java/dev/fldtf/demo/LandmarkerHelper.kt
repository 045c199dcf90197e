package dev.fldtf.demo

import android.content.Context
import android.graphics.Bitmap
import android.os.SystemClock
import android.util.Log
import androidx.camera.core.ImageProxy
import dev.fldtf.core.CameraFrame
import dev.fldtf.core.FaceFilterAnchors
import dev.fldtf.core.FaceLandmarker
import dev.fldtf.core.FaceLandmarkerResult
import dev.fldtf.core.LandmarkDecoder
import dev.fldtf.core.PlaneImage
import dev.fldtf.core.Square
import dev.fldtf.core.Subset5
import java.nio.ByteBuffer

/**
 * Wires the core's [FaceLandmarker] (crop, sampling, decoding, tracking, face check, smoothing) to
 * CameraX, MediaPipe ([FaceBoxDetector]) and LiteRT ([LandmarkModel]). It computes nothing itself.
 *
 * Per camera frame: the model input is sampled straight from the ImageProxy's RGBA plane
 * ([PlaneImage]: crop rectangle, rotation and row stride in its addressing, no copy). Only when
 * the detector runs is the crop rectangle copied, once, into a reused bitmap, which MediaPipe turns
 * upright itself (ImageProcessingOptions). Results are reported in the display frame (mirrored for
 * the front camera).
 *
 * Thread: construct, call [detectLiveStream] / [detectImage] and [close] on ONE thread (the
 * analyzer's executor); the GPU accelerator must be used on the thread that created it.
 */
class LandmarkerHelper(
    context: Context,
    val entry: ModelEntry,
    val delegate: Delegate,
    val cpuThreads: Int,
    private val listener: LandmarkerListener,
) : AutoCloseable {
    /** One-Euro smoothing on or off; may be flipped from any thread, applies from the next frame. */
    @Volatile
    var smoothing = true

    private val card = entry.card
    private val model = LandmarkModel(context.assets, entry, delegate, cpuThreads)
    private val detector = try {
        FaceBoxDetector(context)
    } catch (e: Exception) {
        model.close()
        throw e
    }
    // The One-Euro and re-detect settings are the card's `tracking` section (fld_tf/tracking.py's
    // TRACKING when the card predates it), read by FaceLandmarker: nothing to set here, so the phone
    // and fld_tf.landmarker smooth and re-detect alike.
    private val landmarker = FaceLandmarker(
        card,
        model,
        FaceLandmarker.Options().also { it.detector = FaceBoxDetector.BOX_RULE },
    )
    private val subset5 = Subset5.forCardOrNull(card)
    private val contours = card.contours.map { it.polyline() }.toTypedArray()
    private var cropBuffer: ByteBuffer? = null
    private var cropBitmap: Bitmap? = null
    private var lastFront: Boolean? = null

    init {
        if (!landmarker.boxRuleFromDetector()) {
            Log.w(TAG, "${entry.asset}: card has no crop.detectors.${FaceBoxDetector.BOX_RULE}; using its dataset box rule")
        }
        Log.i(TAG, "${entry.asset}: ${landmarker.tracking()}")
    }

    /** Processes one camera frame (VIDEO mode: tracking) and closes it. */
    fun detectLiveStream(image: ImageProxy, isFrontCamera: Boolean) {
        val start = SystemClock.uptimeMillis()
        val timeSeconds = image.imageInfo.timestamp / 1e9
        try {
            image.use {
                val plane = image.planes[0]
                val crop = image.cropRect
                val frame = CameraFrame(
                    image.width, image.height, crop.left, crop.top, crop.width(), crop.height(),
                    image.imageInfo.rotationDegrees, isFrontCamera,
                )
                if (lastFront != isFrontCamera) { // another camera: nothing carries over
                    landmarker.reset()
                    lastFront = isFrontCamera
                }
                landmarker.setSmoothing(smoothing)
                val pixels = PlaneImage(plane.buffer, plane.rowStride, plane.pixelStride, frame, false)
                val result = landmarker.detectForVideo(
                    pixels,
                    { detector.detect(copyCrop(plane, frame), frame) },
                    timeSeconds,
                )
                listener.onResults(bundle(result, frame, fill = true, start, timeSeconds))
            }
        } catch (e: Exception) { // LiteRtException is a checked Exception, not a RuntimeException
            Log.e(TAG, "frame failed", e)
            listener.onError(e.message ?: e.toString(), gpuFailed = delegate == Delegate.GPU)
        }
    }

    /** Processes one photo (IMAGE mode: every face, detector then one landmark re-crop). */
    fun detectImage(photo: Bitmap) {
        val start = SystemClock.uptimeMillis()
        try {
            val bitmap = if (photo.config == Bitmap.Config.ARGB_8888) photo else photo.copy(Bitmap.Config.ARGB_8888, false)
            // ARGB_8888 bitmaps hold R, G, B, A bytes: the same layout as a camera RGBA_8888 plane.
            val buffer = ByteBuffer.allocateDirect(bitmap.rowBytes * bitmap.height)
            bitmap.copyPixelsToBuffer(buffer)
            val frame = CameraFrame(bitmap.width, bitmap.height, 0, false)
            val pixels = PlaneImage(buffer, bitmap.rowBytes, 4, frame, false)
            val result = landmarker.detect(pixels) { detector.detect(bitmap, frame) }
            listener.onResults(bundle(result, frame, fill = false, start, SystemClock.uptimeMillis() / 1e3))
        } catch (e: Exception) {
            Log.e(TAG, "photo failed", e)
            listener.onError(e.message ?: e.toString(), gpuFailed = delegate == Delegate.GPU)
        }
    }

    /** The frame's crop rectangle, packed, in a reused bitmap: the detector's input. */
    private fun copyCrop(plane: ImageProxy.PlaneProxy, frame: CameraFrame): Bitmap {
        val bytes = frame.cropWidth * frame.cropHeight * 4
        val buffer = cropBuffer?.takeIf { it.capacity() >= bytes }
            ?: ByteBuffer.allocateDirect(bytes).also { cropBuffer = it }
        frame.copyCropRgba(plane.buffer, plane.rowStride, plane.pixelStride, buffer)
        val bitmap = cropBitmap?.takeIf { it.width == frame.cropWidth && it.height == frame.cropHeight }
            ?: Bitmap.createBitmap(frame.cropWidth, frame.cropHeight, Bitmap.Config.ARGB_8888).also {
                cropBitmap?.recycle()
                cropBitmap = it
            }
        bitmap.copyPixelsFromBuffer(buffer)
        return bitmap
    }

    private fun bundle(r: FaceLandmarkerResult, frame: CameraFrame, fill: Boolean, start: Long, time: Double) =
        ResultBundle(
            frame = frame,
            fill = fill,
            faces = r.faces.map { face ->
                val display = LandmarkDecoder.toDisplay(face.points, frame)
                FaceDrawing(display, subset5?.let { FaceFilterAnchors.compute(display, it) })
            },
            contours = contours,
            crop = r.lastCrop?.let { cropCorners(it, frame) },
            boxes = r.detections.map { LandmarkDecoder.toDisplay(it.box, frame) },
            status = r.noFaceReason ?: r.faces.first().source,
            modelMs = r.modelMs,
            frameMs = SystemClock.uptimeMillis() - start,
            timeSeconds = time,
        )

    /** The crop's top-left and bottom-right corners in the display frame (for drawing). */
    private fun cropCorners(square: Square, frame: CameraFrame): FloatArray {
        val half = square.side / 2
        val corners = floatArrayOf(square.cx - half, square.cy - half, square.cx + half, square.cy + half)
        return LandmarkDecoder.toDisplay(corners, frame)
    }

    override fun close() {
        model.close()
        detector.close()
        cropBitmap?.recycle()
        cropBitmap = null
    }

    /** Reports results; called on the helper's thread. */
    interface LandmarkerListener {
        fun onResults(bundle: ResultBundle)

        fun onError(message: String, gpuFailed: Boolean = false)
    }

    private companion object {
        const val TAG = "LandmarkerHelper"
    }
}

/** One face to draw: its points and filter anchors, display-frame pixels. */
class FaceDrawing(val points: FloatArray, val anchors: FaceFilterAnchors?)

/**
 * One frame's (or photo's) result. Coordinates are display-frame pixels (upright, mirrored for the
 * front camera); [frame] maps them to the view, FILL_CENTER for the camera ([fill]) or FIT_CENTER
 * for a photo. [boxes] are the detector's, when it ran (x0 > x1 after mirroring); [crop] is the
 * model crop's two opposite corners; [status] is where the crop came from, or why no face is shown.
 */
class ResultBundle(
    val frame: CameraFrame,
    val fill: Boolean,
    val faces: List<FaceDrawing>,
    val contours: Array<IntArray>,
    val crop: FloatArray?,
    val boxes: List<FloatArray>,
    val status: String,
    val modelMs: Double,
    val frameMs: Long,
    val timeSeconds: Double,
)
