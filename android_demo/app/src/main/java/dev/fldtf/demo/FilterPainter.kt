package dev.fldtf.demo

import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.Path
import android.graphics.RectF

/**
 * Draws the face-filter sprites as vector paths in a unit frame: origin at the anchor, x along the
 * eye (or mouth) line, one unit = the sprite's width. No bitmaps, so they stay sharp at any size.
 */
class FilterPainter {
    private val frame = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.BLACK
        style = Paint.Style.STROKE
        strokeWidth = 0.035f
        strokeJoin = Paint.Join.ROUND
    }
    private val lens = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.argb(110, 20, 20, 40)
        style = Paint.Style.FILL
    }
    private val hair = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.rgb(60, 35, 20)
        style = Paint.Style.FILL
    }

    private val leftLens = RectF(-0.48f, -0.14f, -0.08f, 0.14f)
    private val rightLens = RectF(0.08f, -0.14f, 0.48f, 0.14f)
    private val bridge = Path().apply {
        moveTo(-0.08f, -0.04f)
        quadTo(0f, -0.1f, 0.08f, -0.04f)
    }
    private val moustache = Path().apply {
        moveTo(0f, -0.06f)
        cubicTo(0.12f, -0.18f, 0.30f, -0.14f, 0.50f, -0.02f)
        cubicTo(0.34f, 0.02f, 0.16f, 0.10f, 0f, 0.02f)
        cubicTo(-0.16f, 0.10f, -0.34f, 0.02f, -0.50f, -0.02f)
        cubicTo(-0.30f, -0.14f, -0.12f, -0.18f, 0f, -0.06f)
        close()
    }

    /** Glasses centred at (x, y), turned by `angle` radians (clockwise, y down), `width` pixels wide. */
    fun drawGlasses(canvas: Canvas, x: Float, y: Float, angle: Float, width: Float) =
        inUnitFrame(canvas, x, y, angle, width) {
            for (rect in arrayOf(leftLens, rightLens)) {
                canvas.drawRoundRect(rect, 0.08f, 0.08f, lens)
                canvas.drawRoundRect(rect, 0.08f, 0.08f, frame)
            }
            canvas.drawPath(bridge, frame)
        }

    /** A moustache centred at (x, y), along the mouth line, `width` pixels wide. */
    fun drawMoustache(canvas: Canvas, x: Float, y: Float, angle: Float, width: Float) =
        inUnitFrame(canvas, x, y, angle, width) { canvas.drawPath(moustache, hair) }

    private inline fun inUnitFrame(canvas: Canvas, x: Float, y: Float, angle: Float, width: Float, draw: () -> Unit) {
        if (width <= 0f) return
        val saved = canvas.save()
        canvas.translate(x, y)
        canvas.rotate(Math.toDegrees(angle.toDouble()).toFloat())
        canvas.scale(width, width)
        draw()
        canvas.restoreToCount(saved)
    }
}
