package dev.fldtf.demo

import android.content.Context
import android.graphics.Bitmap
import com.google.mediapipe.framework.image.BitmapImageBuilder
import com.google.mediapipe.tasks.core.BaseOptions
import com.google.mediapipe.tasks.core.Delegate as MpDelegate
import com.google.mediapipe.tasks.vision.core.ImageProcessingOptions
import com.google.mediapipe.tasks.vision.core.RunningMode
import com.google.mediapipe.tasks.vision.facedetector.FaceDetector
import dev.fldtf.core.CameraFrame
import dev.fldtf.core.Detection

/**
 * MediaPipe Tasks Face Detector (BlazeFace short-range, bundled by `downloadDetector`) in IMAGE mode:
 * the landmark step needs the boxes of this very frame, synchronously. CPU only: it is small, and it
 * runs only when no face is tracked or every few frames. Its box rule (box -> crop square) is the
 * card's `crop.detectors.blazeface_short_range`, measured by benchmarks/calibrate_blazeface.py.
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

    /**
     * Faces in `bitmap`, which holds `frame`'s crop rectangle in sensor orientation; MediaPipe turns
     * it upright through `ImageProcessingOptions` and reports boxes in the unrotated bitmap, which
     * [CameraFrame.detectorBoxToUpright] maps to the upright frame in our pixel convention.
     */
    fun detect(bitmap: Bitmap, frame: CameraFrame): List<Detection> {
        val options = ImageProcessingOptions.builder().setRotationDegrees(frame.rotationDegrees).build()
        val result = detector.detect(BitmapImageBuilder(bitmap).build(), options)
        return result.detections()
            .filter { it.boundingBox().width() > 0 && it.boundingBox().height() > 0 }
            .map { d ->
                val b = d.boundingBox()
                val score = d.categories().firstOrNull()?.score() ?: Float.NaN
                Detection(frame.detectorBoxToUpright(b.left, b.top, b.right, b.bottom), score)
            }
    }

    override fun close() = detector.close()

    companion object {
        const val MODEL_ASSET = "blaze_face_short_range.tflite"
        const val MIN_CONFIDENCE = 0.5f
        /** The key of this detector's box rule in the card's `crop.detectors` (fld_tf.detect.BOX_RULES). */
        const val BOX_RULE = "blazeface_short_range"
    }
}
