package dev.fldtf.demo

import android.os.Bundle
import android.view.View
import android.widget.AdapterView
import android.widget.ArrayAdapter
import android.widget.Spinner
import androidx.activity.viewModels
import androidx.appcompat.app.AppCompatActivity
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import dev.fldtf.demo.databinding.ActivityMainBinding
import kotlinx.coroutines.launch

/** Hosts the camera fragment and the controls: model (int8 / float), delegate, face filter, smoothing. */
class MainActivity : AppCompatActivity() {
    private val viewModel: MainViewModel by viewModels()
    private lateinit var binding: ActivityMainBinding

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        binding = ActivityMainBinding.inflate(layoutInflater)
        setContentView(binding.root)

        val initial = viewModel.state.value
        binding.modelSpinner.adapter = adapter(initial.models.map { it.label })
        binding.modelSpinner.setSelection(initial.models.indexOf(initial.settings.model).coerceAtLeast(0))
        binding.modelSpinner.onSelected { viewModel.selectModel(it) }
        binding.delegateSpinner.adapter = adapter(Delegate.entries.map { it.name })
        binding.delegateSpinner.onSelected { viewModel.selectDelegate(Delegate.entries[it]) }
        binding.filterSwitch.setOnCheckedChangeListener { _, on -> viewModel.setFaceFilter(on) }
        binding.smoothingSwitch.setOnCheckedChangeListener { _, on -> viewModel.setSmoothing(on) }

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                viewModel.state.collect(::render)
            }
        }
    }

    private fun render(ui: UiState) {
        // A GPU failure moves the delegate back to CPU: keep the spinner in step.
        val delegateIndex = ui.settings.delegate.ordinal
        if (binding.delegateSpinner.selectedItemPosition != delegateIndex) {
            binding.delegateSpinner.setSelection(delegateIndex)
        }
        val model = ui.settings.model?.label ?: "-"
        val stats = getString(R.string.stats, model, ui.modelMs, ui.frameMs, ui.fps, ui.cropSource)
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
