package dev.fldtf.demo

import android.content.Context
import android.graphics.Bitmap
import com.google.mediapipe.framework.image.BitmapImageBuilder
import com.google.mediapipe.tasks.core.BaseOptions
import com.google.mediapipe.tasks.core.Delegate as MpDelegate
import com.google.mediapipe.tasks.vision.core.RunningMode
import com.google.mediapipe.tasks.vision.facedetector.FaceDetector

/**
 * MediaPipe Tasks Face Detector (BlazeFace short-range, bundled by `downloadDetector`) in IMAGE mode:
 * the landmark step needs the box of this very frame, synchronously. CPU only: it is small, and it
 * runs only when no face is tracked or every few frames.
 */
class FaceBoxDetector(context: Context, minConfidence: Float = MIN_CONFIDENCE) : AutoCloseable {
    private val detector = FaceDetector.createFromOptions(
        context,
        FaceDetector.FaceDetectorOptions.builder()
            .setBaseOptions(BaseOptions.builder().setModelAssetPath(MODEL_ASSET).setDelegate(MpDelegate.CPU).build())
            .setRunningMode(RunningMode.IMAGE)
            .setMinDetectionConfidence(minConfidence)
            .build(),
    )
    private var bitmap: Bitmap? = null

    /**
     * The largest face in an upright ARGB frame, as `x0, y0, x1, y1` in our pixel convention
     * (pixel centres at integers), or null.
     */
    fun detect(argb: IntArray, width: Int, height: Int): FloatArray? {
        val bmp = bitmap?.takeIf { it.width == width && it.height == height }
            ?: Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888).also { bitmap = it }
        bmp.setPixels(argb, 0, width, 0, 0, width, height)
        val result = detector.detect(BitmapImageBuilder(bmp).build())
        val box = result.detections().maxByOrNull { it.boundingBox().width() * it.boundingBox().height() }
            ?.boundingBox() ?: return null
        // MediaPipe boxes put the image edge at 0; ours put the first pixel centre there (edge -0.5).
        return floatArrayOf(box.left - 0.5f, box.top - 0.5f, box.right - 0.5f, box.bottom - 0.5f)
    }

    override fun close() {
        detector.close()
        bitmap?.recycle()
    }

    companion object {
        const val MODEL_ASSET = "blaze_face_short_range.tflite"
        const val MIN_CONFIDENCE = 0.5f
    }
}
