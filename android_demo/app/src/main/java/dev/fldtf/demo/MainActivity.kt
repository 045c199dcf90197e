package dev.fldtf.demo

import android.os.Bundle
import android.view.View
import android.widget.AdapterView
import android.widget.ArrayAdapter
import android.widget.Spinner
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.appcompat.app.AppCompatActivity
import androidx.core.view.ViewCompat
import androidx.core.view.WindowInsetsCompat
import androidx.core.view.updatePadding
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import dev.fldtf.demo.databinding.ActivityMainBinding
import kotlinx.coroutines.launch

/**
 * Hosts the camera fragment and the controls: model (int8 / float), delegate, CPU threads, camera
 * switch, photo (gallery mode), face filter, smoothing. Edge to edge (the default from targetSdk 35):
 * the camera fills the screen, the stats line and the controls keep clear of the system bars.
 */
class MainActivity : AppCompatActivity() {
    private val viewModel: MainViewModel by viewModels()
    private lateinit var binding: ActivityMainBinding
    private var shownModels: List<ModelEntry>? = null

    private val pickPhoto = registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) viewModel.openPhoto(uri)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        binding = ActivityMainBinding.inflate(layoutInflater)
        setContentView(binding.root)
        applyInsets()

        binding.delegateSpinner.adapter = adapter(Delegate.entries.map { it.name })
        binding.delegateSpinner.onSelected { viewModel.selectDelegate(Delegate.entries[it]) }
        binding.threadsSpinner.adapter = adapter(Settings.THREAD_CHOICES.map { getString(R.string.threads_n, it) })
        binding.threadsSpinner.setSelection(Settings.THREAD_CHOICES.indexOf(Settings.DEFAULT_THREADS))
        binding.threadsSpinner.onSelected { viewModel.selectThreads(Settings.THREAD_CHOICES[it]) }
        binding.modelSpinner.onSelected { viewModel.selectModel(it) }
        binding.filterSwitch.setOnCheckedChangeListener { _, on -> viewModel.setFaceFilter(on) }
        binding.smoothingSwitch.setOnCheckedChangeListener { _, on -> viewModel.setSmoothing(on) }
        binding.switchCamera.setOnClickListener { viewModel.switchCamera() }
        binding.photoButton.setOnClickListener {
            if (viewModel.state.value.settings.photo != null) {
                viewModel.openPhoto(null) // back to the camera
            } else {
                pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
            }
        }

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                viewModel.state.collect(::render)
            }
        }
    }

    /** Status bar above the stats line, navigation bar (or gesture area) below the controls. */
    private fun applyInsets() {
        ViewCompat.setOnApplyWindowInsetsListener(binding.root) { _, insets ->
            val bars = insets.getInsets(WindowInsetsCompat.Type.systemBars() or WindowInsetsCompat.Type.displayCutout())
            binding.stats.updatePadding(top = bars.top + statsPadding, left = bars.left + statsPadding,
                right = bars.right + statsPadding)
            binding.controls.updatePadding(bottom = bars.bottom + statsPadding, left = bars.left + statsPadding,
                right = bars.right + statsPadding)
            insets
        }
    }

    private val statsPadding by lazy { resources.getDimensionPixelSize(R.dimen.panel_padding) }

    private fun render(ui: UiState) {
        if (ui.models !== shownModels) { // the catalog loads off the main thread, once
            shownModels = ui.models
            binding.modelSpinner.adapter = adapter(ui.models.map { it.label })
            binding.modelSpinner.setSelection(ui.models.indexOf(ui.settings.model).coerceAtLeast(0))
        }
        // A GPU failure moves the delegate back to CPU: keep the spinner in step.
        val delegateIndex = ui.settings.delegate.ordinal
        if (binding.delegateSpinner.selectedItemPosition != delegateIndex) {
            binding.delegateSpinner.setSelection(delegateIndex)
        }
        binding.threadsSpinner.isEnabled = ui.settings.delegate == Delegate.CPU
        binding.switchCamera.isEnabled = ui.settings.photo == null
        binding.photoButton.setText(if (ui.settings.photo == null) R.string.photo else R.string.camera)
        val stats = when {
            ui.loading -> getString(R.string.loading_models)
            else -> getString(R.string.stats, ui.settings.model?.label ?: "-", ui.modelMs, ui.frameMs, ui.fps, ui.status)
        }
        binding.stats.text = ui.error?.let { "$it\n$stats" } ?: stats
    }

    private fun adapter(items: List<String>) =
        ArrayAdapter(this, android.R.layout.simple_spinner_item, items).apply {
            setDropDownViewResource(android.R.layout.simple_spinner_dropdown_item)
        }

    private fun Spinner.onSelected(action: (Int) -> Unit) {
        onItemSelectedListener = object : AdapterView.OnItemSelectedListener {
            override fun onItemSelected(parent: AdapterView<*>?, view: View?, position: Int, id: Long) =
                action(position)

            override fun onNothingSelected(parent: AdapterView<*>?) = Unit
        }
    }
}
