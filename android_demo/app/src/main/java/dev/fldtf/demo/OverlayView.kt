package dev.fldtf.demo

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.DashPathEffect
import android.graphics.Paint
import android.util.AttributeSet
import android.view.View
import dev.fldtf.core.FaceFilterAnchors
import kotlin.math.max
import kotlin.math.min

/**
 * Draws one [ResultBundle] over the camera preview or the photo: crop square, detector boxes,
 * contours (from the card's `scheme.contours`) and points, or the face filter. It only draws: the
 * display -> view mapping is the core's CameraFrame (FILL_CENTER like the PreviewView underneath,
 * FIT_CENTER like the photo's ImageView), and the sprite placement is computed by FaceFilterAnchors.
 * When the face check failed there are no faces: only the crop and the reason are shown.
 */
class OverlayView(context: Context, attrs: AttributeSet?) : View(context, attrs) {
    /** Glasses and moustache instead of points. */
    var faceFilter = false
        set(value) {
            field = value
            invalidate()
        }

    private var result: ResultBundle? = null
    private val density = resources.displayMetrics.density
    private val painter = FilterPainter()

    private val pointPaint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.YELLOW
        style = Paint.Style.FILL
    }
    private val contourPaint = stroke(Color.CYAN, 1.5f)
    private val boxPaint = stroke(Color.GREEN, 2f)
    private val cropPaint = stroke(Color.WHITE, 1f).apply {
        pathEffect = DashPathEffect(floatArrayOf(8 * density, 6 * density), 0f)
    }
    private val labelPaint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.WHITE
        textSize = 12 * density
    }

    /** Shows `bundle` (null: nothing). Call on the UI thread. */
    fun setResults(bundle: ResultBundle?) {
        result = bundle
        invalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val r = result ?: return
        r.crop?.let { corners ->
            val crop = toView(r, corners)
            drawRect(canvas, crop, cropPaint)
            canvas.drawText(r.status, min(crop[0], crop[2]), min(crop[1], crop[3]) - 4 * density, labelPaint)
        }
        for (box in r.boxes) drawRect(canvas, toView(r, box), boxPaint)
        for (face in r.faces) {
            val anchors = face.anchors
            if (faceFilter && anchors != null) {
                drawFilter(canvas, r, anchors)
                continue
            }
            val points = toView(r, face.points)
            drawContours(canvas, points, r.contours)
            val radius = 3 * density
            for (i in points.indices step 2) canvas.drawCircle(points[i], points[i + 1], radius, pointPaint)
        }
    }

    private fun drawContours(canvas: Canvas, points: FloatArray, contours: Array<IntArray>) {
        for (line in contours) {
            for (k in 0 until line.size - 1) {
                val a = line[k]
                val b = line[k + 1]
                canvas.drawLine(points[2 * a], points[2 * a + 1], points[2 * b], points[2 * b + 1], contourPaint)
            }
        }
    }

    private fun drawFilter(canvas: Canvas, r: ResultBundle, anchors: FaceFilterAnchors) {
        val scale = r.frame.viewScale(width, height, r.fill)
        val g = toView(r, floatArrayOf(anchors.glasses.x, anchors.glasses.y))
        painter.drawGlasses(canvas, g[0], g[1], anchors.glasses.angle, anchors.glasses.width * scale)
        val m = toView(r, floatArrayOf(anchors.moustache.x, anchors.moustache.y))
        painter.drawMoustache(canvas, m[0], m[1], anchors.moustache.angle, anchors.moustache.width * scale)
    }

    /** Display-frame points -> this view's pixels (a copy). */
    private fun toView(r: ResultBundle, displayPoints: FloatArray): FloatArray =
        displayPoints.clone().also { r.frame.displayToView(it, width, height, r.fill) }

    /** A rectangle from two opposite corners in any order (mirroring swaps x0 and x1). */
    private fun drawRect(canvas: Canvas, c: FloatArray, paint: Paint) =
        canvas.drawRect(min(c[0], c[2]), min(c[1], c[3]), max(c[0], c[2]), max(c[1], c[3]), paint)

    private fun stroke(color: Int, widthDp: Float) = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        this.color = color
        style = Paint.Style.STROKE
        strokeWidth = widthDp * density
    }
}
