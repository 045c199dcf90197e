package dev.fldtf.demo

import android.Manifest
import android.content.pm.PackageManager
import android.content.res.Configuration
import android.os.Bundle
import android.util.Log
import android.util.Size
import android.view.LayoutInflater
import android.view.View
import android.view.ViewGroup
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.AspectRatioStrategy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.core.content.ContextCompat
import androidx.fragment.app.Fragment
import androidx.fragment.app.activityViewModels
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import dev.fldtf.demo.databinding.FragmentCameraBinding
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.launch

/**
 * Binds CameraX (front camera, Preview + ImageAnalysis with STRATEGY_KEEP_ONLY_LATEST and RGBA_8888)
 * and hands frames to [LandmarkerHelper] on one background thread. It draws nothing and computes
 * nothing: results go to [OverlayView] and [MainViewModel].
 */
class CameraFragment : Fragment(), LandmarkerHelper.LandmarkerListener {
    private var _binding: FragmentCameraBinding? = null
    private val binding get() = _binding!!
    private val viewModel: MainViewModel by activityViewModels()
    private lateinit var backgroundExecutor: ExecutorService
    private var analysis: ImageAnalysis? = null
    private var noFaceText = ""

    // Touched only on backgroundExecutor: created, used and closed on the same thread.
    private var helper: LandmarkerHelper? = null

    private val permission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) bindCamera() else viewModel.onError(getString(R.string.camera_permission_denied))
    }

    override fun onCreateView(inflater: LayoutInflater, container: ViewGroup?, state: Bundle?): View {
        _binding = FragmentCameraBinding.inflate(inflater, container, false)
        return binding.root
    }

    override fun onViewCreated(view: View, state: Bundle?) {
        backgroundExecutor = Executors.newSingleThreadExecutor()
        noFaceText = getString(R.string.no_face)
        viewLifecycleOwner.lifecycleScope.launch {
            viewLifecycleOwner.repeatOnLifecycle(Lifecycle.State.STARTED) {
                viewModel.state.map { it.settings }.distinctUntilChanged().collect { settings ->
                    binding.overlay.faceFilter = settings.faceFilter
                    configureHelper(settings)
                }
            }
        }
        val granted = ContextCompat.checkSelfPermission(requireContext(), Manifest.permission.CAMERA) ==
            PackageManager.PERMISSION_GRANTED
        if (granted) binding.viewFinder.post { bindCamera() } else permission.launch(Manifest.permission.CAMERA)
    }

    /** Re-creates the helper when the model or delegate changes; other settings apply live. */
    private fun configureHelper(settings: Settings) {
        val context = requireContext().applicationContext
        backgroundExecutor.execute {
            val current = helper
            val entry = settings.model
            if (current == null || current.entry != entry || current.delegate != settings.delegate) {
                current?.close()
                helper = null
                if (entry != null) {
                    helper = try {
                        LandmarkerHelper(context, entry, settings.delegate, this)
                    } catch (e: Exception) { // LiteRtException is checked, MediaPipe's are runtime
                        Log.e(TAG, "cannot load ${entry.card.modelFile}", e)
                        val gpu = settings.delegate == Delegate.GPU
                        onError("${entry.card.modelFile} (${settings.delegate}): ${e.message}", gpu)
                        null
                    }
                }
            }
            helper?.smoothing = settings.smoothing
        }
    }

    private fun bindCamera() {
        val future = ProcessCameraProvider.getInstance(requireContext())
        future.addListener({
            val binding = _binding ?: return@addListener
            val provider = future.get()
            val rotation = binding.viewFinder.display.rotation
            // Same 4:3 aspect for preview and analysis, so FILL_CENTER crops both alike.
            val resolution = ResolutionSelector.Builder()
                .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                .setResolutionStrategy(
                    ResolutionStrategy(ANALYSIS_SIZE, ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
                )
                .build()
            val preview = Preview.Builder().setResolutionSelector(resolution).setTargetRotation(rotation).build()
            val imageAnalysis = ImageAnalysis.Builder()
                .setResolutionSelector(resolution)
                .setTargetRotation(rotation)
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                .build()
            imageAnalysis.setAnalyzer(backgroundExecutor) { image ->
                helper?.detectLiveStream(image, isFrontCamera = true) ?: image.close()
            }
            analysis = imageAnalysis
            provider.unbindAll()
            preview.setSurfaceProvider(binding.viewFinder.surfaceProvider)
            try {
                val camera = CameraSelector.DEFAULT_FRONT_CAMERA
                provider.bindToLifecycle(viewLifecycleOwner, camera, preview, imageAnalysis)
            } catch (e: IllegalArgumentException) {
                viewModel.onError("cannot open the front camera: ${e.message}")
            }
        }, ContextCompat.getMainExecutor(requireContext()))
    }

    override fun onConfigurationChanged(newConfig: Configuration) {
        super.onConfigurationChanged(newConfig)
        analysis?.targetRotation = _binding?.viewFinder?.display?.rotation ?: return
    }

    override fun onResults(bundle: ResultBundle) {
        viewModel.onFrame(bundle.timeSeconds, bundle.modelMs.toDouble(), bundle.frameMs.toDouble(), bundle.cropSource)
        activity?.runOnUiThread { _binding?.overlay?.setResults(bundle) }
    }

    override fun onEmpty(timeSeconds: Double, frameMs: Long) {
        viewModel.onFrame(timeSeconds, Double.NaN, frameMs.toDouble(), noFaceText)
        activity?.runOnUiThread { _binding?.overlay?.setResults(null) }
    }

    override fun onError(message: String, gpuFailed: Boolean) {
        viewModel.onError(message, gpuFailed)
    }

    override fun onDestroyView() {
        _binding = null
        super.onDestroyView()
        backgroundExecutor.execute {
            helper?.close()
            helper = null
        }
        backgroundExecutor.shutdown()
        backgroundExecutor.awaitTermination(1, TimeUnit.SECONDS)
    }

    private companion object {
        const val TAG = "CameraFragment"
        val ANALYSIS_SIZE = Size(640, 480)
    }
}
