package dev.fldtf.demo

import android.content.res.AssetManager
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import dev.fldtf.core.FaceLandmarker
import dev.fldtf.core.InputTensorizer
import dev.fldtf.core.ModelCard

/**
 * The landmark model through LiteRT's CompiledModel API, as the core's [FaceLandmarker.Model].
 * Input dtype and size come from the card, which [ModelCatalog] has checked against the model's own
 * tensors (LiteRT's buffer writes are raw copies): uint8 models take the RGB bytes as they are,
 * int8 models `pixel - 128`, float models the same 0..255 values as float32 (normalisation is
 * inside the model). Output: `2K` floats, x, y interleaved, crop-normalised.
 *
 * Create, run and close it on one thread: the GPU accelerator is bound to the thread that created it.
 */
class LandmarkModel(
    assets: AssetManager,
    entry: ModelEntry,
    delegate: Delegate,
    cpuThreads: Int,
) : FaceLandmarker.Model, AutoCloseable {
    private val card = entry.card
    private val model = CompiledModel.create(assets, entry.asset, options(delegate, cpuThreads), null)
    private val inputs = model.createInputBuffers()
    private val outputs = model.createOutputBuffers()
    private val tensorizer = InputTensorizer.forCard(card)
    private val elements = card.inputSize * card.inputSize * 3
    private val floats = if (card.inputType == ModelCard.InputType.FLOAT32) FloatArray(elements) else null
    private val bytes = if (floats == null) ByteArray(elements) else null

    /** Runs the model on `rgb` (`size * size * 3` uint8 RGB, HWC). */
    override fun run(rgb: ByteArray): FloatArray {
        if (floats != null) {
            InputTensorizer.toFloats(rgb, floats)
            inputs[0].writeFloat(floats)
        } else {
            // LiteRT's Kotlin API names the 8-bit write after int8; it copies the raw bytes, which is
            // what a uint8 tensor holds (and, shifted by -128, an int8 one).
            rgb.copyInto(bytes!!)
            inputs[0].writeInt8(tensorizer.toTensorBytes(bytes))
        }
        model.run(inputs, outputs)
        return outputs[0].readFloat()
    }

    override fun close() {
        inputs.forEach { it.close() }
        outputs.forEach { it.close() }
        model.close()
    }

    private companion object {
        fun options(delegate: Delegate, cpuThreads: Int): CompiledModel.Options =
            if (delegate == Delegate.GPU) {
                CompiledModel.Options(Accelerator.GPU)
            } else {
                CompiledModel.Options(Accelerator.CPU).apply {
                    cpuOptions = CompiledModel.CpuOptions(numThreads = cpuThreads)
                }
            }
    }
}
