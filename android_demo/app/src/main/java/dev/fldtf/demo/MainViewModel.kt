package dev.fldtf.demo

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import dev.fldtf.core.FrameRate
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

enum class Delegate { CPU, GPU }

/** What the helper should run: changing any of these reconfigures it on its own thread. */
data class Settings(
    val model: ModelEntry?,
    val delegate: Delegate = Delegate.CPU,
    val faceFilter: Boolean = false,
    val smoothing: Boolean = true,
)

/** Everything the screen shows besides the camera and overlay. */
data class UiState(
    val models: List<ModelEntry> = emptyList(),
    val settings: Settings = Settings(model = null),
    val modelMs: Double = Double.NaN,
    val frameMs: Double = Double.NaN,
    val fps: Double = Double.NaN,
    val cropSource: String = "",
    val error: String? = null,
)

class MainViewModel(app: Application) : AndroidViewModel(app) {
    private val rate = FrameRate(RATE_WEIGHT)
    private val modelRate = FrameRate(RATE_WEIGHT)
    private val _state: MutableStateFlow<UiState>

    init {
        val (models, problems) = ModelCatalog.load(app.assets)
        val error = when {
            models.isEmpty() -> (listOf(app.getString(R.string.no_models)) + problems).joinToString("\n")
            problems.isNotEmpty() -> problems.joinToString("\n")
            else -> null
        }
        _state = MutableStateFlow(UiState(models, Settings(models.firstOrNull()), error = error))
    }

    val state: StateFlow<UiState> = _state.asStateFlow()

    fun selectModel(index: Int) = updateSettings { it.copy(model = _state.value.models.getOrNull(index)) }

    fun selectDelegate(delegate: Delegate) = updateSettings { it.copy(delegate = delegate) }

    fun setFaceFilter(on: Boolean) = updateSettings { it.copy(faceFilter = on) }

    fun setSmoothing(on: Boolean) = updateSettings { it.copy(smoothing = on) }

    /** One processed frame (any thread). `cropSource` says where the crop came from, or that no face was found. */
    fun onFrame(timeSeconds: Double, modelMs: Double, frameMs: Double, cropSource: String) {
        rate.add(timeSeconds, frameMs)
        if (!modelMs.isNaN()) modelRate.add(timeSeconds, modelMs)
        _state.update {
            it.copy(
                modelMs = modelRate.latencyMs(),
                frameMs = rate.latencyMs(),
                fps = rate.fps(),
                cropSource = cropSource,
            )
        }
    }

    /** An error to show; a GPU failure also falls back to the CPU. */
    fun onError(message: String, gpuFailed: Boolean = false) = _state.update {
        val settings = if (gpuFailed) it.settings.copy(delegate = Delegate.CPU) else it.settings
        it.copy(error = message, settings = settings)
    }

    /** Applies a settings change; a real change also clears the last error. */
    private fun updateSettings(change: (Settings) -> Settings) = _state.update {
        val settings = change(it.settings)
        if (settings == it.settings) it else it.copy(settings = settings, error = null)
    }

    private companion object {
        const val RATE_WEIGHT = 0.1
    }
}
