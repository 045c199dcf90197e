package dev.fldtf.demo

import android.app.Application
import android.net.Uri
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.fldtf.core.FrameRate
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

enum class Delegate { CPU, GPU }

enum class Lens { FRONT, BACK }

/** What the helper and the camera should run: changing any of these reconfigures them. */
data class Settings(
    val model: ModelEntry?,
    val delegate: Delegate = Delegate.CPU,
    /** LiteRT CPU threads (XNNPACK); ignored on the GPU. */
    val cpuThreads: Int = DEFAULT_THREADS,
    val lens: Lens = Lens.FRONT,
    val faceFilter: Boolean = false,
    val smoothing: Boolean = true,
    /** A picked photo: gallery mode (camera off) while it is set. */
    val photo: Uri? = null,
) {
    companion object {
        val THREAD_CHOICES = listOf(1, 2, 4)
        const val DEFAULT_THREADS = 2
    }
}

/** Everything the screen shows besides the camera and overlay. */
data class UiState(
    val loading: Boolean = true,
    val models: List<ModelEntry> = emptyList(),
    val settings: Settings = Settings(model = null),
    val modelMs: Double = Double.NaN,
    val frameMs: Double = Double.NaN,
    val fps: Double = Double.NaN,
    val status: String = "",
    val error: String? = null,
)

class MainViewModel(app: Application) : AndroidViewModel(app) {
    private val rate = FrameRate(RATE_WEIGHT)
    private val modelRate = FrameRate(RATE_WEIGHT)
    private val _state = MutableStateFlow(UiState())
    val state: StateFlow<UiState> = _state.asStateFlow()

    init {
        // Reading the models (a few MB) and their cards is file work: not on the main thread.
        viewModelScope.launch {
            val (models, problems) = withContext(Dispatchers.IO) { ModelCatalog.load(app.assets) }
            val error = when {
                models.isEmpty() -> (listOf(app.getString(R.string.no_models)) + problems).joinToString("\n")
                problems.isNotEmpty() -> problems.joinToString("\n")
                else -> null
            }
            _state.update { it.copy(loading = false, models = models, settings = it.settings.copy(model = models.firstOrNull()), error = error) }
        }
    }

    fun selectModel(index: Int) = updateSettings { it.copy(model = _state.value.models.getOrNull(index)) }

    fun selectDelegate(delegate: Delegate) = updateSettings { it.copy(delegate = delegate) }

    fun selectThreads(threads: Int) = updateSettings { it.copy(cpuThreads = threads) }

    fun switchCamera() = updateSettings { it.copy(lens = if (it.lens == Lens.FRONT) Lens.BACK else Lens.FRONT) }

    fun setFaceFilter(on: Boolean) = updateSettings { it.copy(faceFilter = on) }

    fun setSmoothing(on: Boolean) = updateSettings { it.copy(smoothing = on) }

    /** Gallery mode on a picked photo; null goes back to the camera. */
    fun openPhoto(uri: Uri?) = updateSettings { it.copy(photo = uri) }

    /** One processed frame (any thread). `status` says where the crop came from, or why no face is shown. */
    fun onFrame(timeSeconds: Double, modelMs: Double, frameMs: Double, status: String) {
        rate.add(timeSeconds, frameMs)
        if (modelMs > 0) modelRate.add(timeSeconds, modelMs)
        _state.update {
            it.copy(modelMs = modelRate.latencyMs(), frameMs = rate.latencyMs(), fps = rate.fps(), status = status)
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
