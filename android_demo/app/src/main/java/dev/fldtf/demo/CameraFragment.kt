package dev.fldtf.demo

import android.Manifest
import android.content.ContentResolver
import android.content.pm.PackageManager
import android.content.res.Configuration
import android.graphics.Bitmap
import android.net.Uri
import android.os.Bundle
import android.util.Log
import android.util.Size
import android.view.LayoutInflater
import android.view.Surface
import android.view.View
import android.view.ViewGroup
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.UseCaseGroup
import androidx.camera.core.resolutionselector.AspectRatioStrategy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.core.content.ContextCompat
import androidx.core.view.isVisible
import androidx.fragment.app.Fragment
import androidx.fragment.app.activityViewModels
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import dev.fldtf.demo.databinding.FragmentCameraBinding
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.launch

/**
 * Binds CameraX (Preview + ImageAnalysis in one UseCaseGroup with the PreviewView's ViewPort, so
 * both see the same field of view, which the overlay assumes) and hands frames to
 * [LandmarkerHelper] on one background thread; or, in gallery mode, turns the camera off and runs
 * the helper once on the picked photo. It draws nothing and computes nothing: results go to
 * [OverlayView] and [MainViewModel].
 *
 * Lifecycle: the model and detector are released in [onPause] and made again in [onResume], on
 * the background thread that uses them; nothing here blocks the main thread.
 */
class CameraFragment : Fragment(), LandmarkerHelper.LandmarkerListener {
    private var _binding: FragmentCameraBinding? = null
    private val binding get() = _binding!!
    private val viewModel: MainViewModel by activityViewModels()
    private lateinit var backgroundExecutor: ExecutorService
    private var cameraProvider: ProcessCameraProvider? = null
    private var analysis: ImageAnalysis? = null
    private var cameraSettings: Pair<Lens, Boolean>? = null // (lens, gallery) the camera is bound for

    // Touched only on backgroundExecutor: created, used and closed on the same thread.
    private var helper: LandmarkerHelper? = null
    @Volatile
    private var frontCamera = true

    private val permission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) binding.viewFinder.post { applyCamera(viewModel.state.value.settings, force = true) }
        else viewModel.onError(getString(R.string.camera_permission_denied))
    }

    override fun onCreateView(inflater: LayoutInflater, container: ViewGroup?, state: Bundle?): View {
        _binding = FragmentCameraBinding.inflate(inflater, container, false)
        return binding.root
    }

    override fun onViewCreated(view: View, state: Bundle?) {
        backgroundExecutor = Executors.newSingleThreadExecutor()
        viewLifecycleOwner.lifecycleScope.launch {
            viewLifecycleOwner.repeatOnLifecycle(Lifecycle.State.STARTED) {
                viewModel.state.map { it.settings }.distinctUntilChanged().collect { settings ->
                    binding.overlay.faceFilter = settings.faceFilter
                    configureHelper(settings)
                    if (hasCameraPermission()) binding.viewFinder.post { applyCamera(settings) }
                }
            }
        }
        if (!hasCameraPermission()) permission.launch(Manifest.permission.CAMERA)
    }

    override fun onResume() {
        super.onResume()
        configureHelper(viewModel.state.value.settings)
    }

    override fun onPause() {
        // Release the model and detector (native memory, maybe the GPU) while we are not in front.
        backgroundExecutor.execute {
            helper?.close()
            helper = null
        }
        super.onPause()
    }

    private fun hasCameraPermission() =
        ContextCompat.checkSelfPermission(requireContext(), Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED

    /**
     * (Re)creates the helper when there is none or the model, delegate or thread count changed; other
     * settings apply live. In gallery mode, runs it on the photo.
     */
    private fun configureHelper(settings: Settings) {
        val context = requireContext().applicationContext
        backgroundExecutor.execute {
            val current = helper
            val entry = settings.model
            val same = current != null && current.entry == entry && current.delegate == settings.delegate &&
                current.cpuThreads == settings.cpuThreads
            if (!same) {
                current?.close()
                helper = null
                if (entry != null) {
                    helper = try {
                        LandmarkerHelper(context, entry, settings.delegate, settings.cpuThreads, this)
                    } catch (e: Exception) { // LiteRtException is checked, MediaPipe's are runtime
                        Log.e(TAG, "cannot load ${entry.asset}", e)
                        onError("${entry.asset} (${settings.delegate}): ${e.message}", settings.delegate == Delegate.GPU)
                        null
                    }
                }
            }
            helper?.smoothing = settings.smoothing
            settings.photo?.let { uri -> runOnPhoto(context.contentResolver, uri) }
        }
    }

    /** On the background thread: decode the photo, show it, run the helper on it. */
    private fun runOnPhoto(resolver: ContentResolver, uri: Uri) {
        val photo: Bitmap = try {
            PhotoLoader.load(resolver, uri)
        } catch (e: Exception) {
            onError("cannot open the photo: ${e.message}")
            return
        }
        activity?.runOnUiThread { _binding?.photo?.setImageBitmap(photo) }
        helper?.detectImage(photo)
    }

    /** Binds the camera for the settings' lens, or unbinds it in gallery mode; only when those change. */
    private fun applyCamera(settings: Settings, force: Boolean = false) {
        val wanted = settings.lens to (settings.photo != null)
        if (_binding == null || (!force && wanted == cameraSettings)) return
        cameraSettings = wanted
        binding.photo.isVisible = settings.photo != null
        binding.viewFinder.isVisible = settings.photo == null
        binding.overlay.setResults(null)
        val future = ProcessCameraProvider.getInstance(requireContext())
        future.addListener({
            val provider = future.get()
            cameraProvider = provider
            provider.unbindAll()
            analysis = null
            if (settings.photo == null) bindCamera(provider, settings.lens)
        }, ContextCompat.getMainExecutor(requireContext()))
    }

    private fun bindCamera(provider: ProcessCameraProvider, lens: Lens) {
        val binding = _binding ?: return
        val rotation = binding.viewFinder.display?.rotation ?: Surface.ROTATION_0
        // The preview gets the camera's own 4:3 preview size (sharp full screen); analysis a small
        // 4:3 frame (cheap). The ViewPort below crops both to the same field of view.
        val previewSelector = ResolutionSelector.Builder()
            .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
            .build()
        val analysisSelector = ResolutionSelector.Builder()
            .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
            .setResolutionStrategy(
                ResolutionStrategy(ANALYSIS_SIZE, ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
            )
            .build()
        val preview = Preview.Builder().setResolutionSelector(previewSelector).setTargetRotation(rotation).build()
        val imageAnalysis = ImageAnalysis.Builder()
            .setResolutionSelector(analysisSelector)
            .setTargetRotation(rotation)
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
            .build()
        frontCamera = lens == Lens.FRONT
        imageAnalysis.setAnalyzer(backgroundExecutor) { image ->
            helper?.detectLiveStream(image, isFrontCamera = frontCamera) ?: image.close()
        }
        preview.setSurfaceProvider(binding.viewFinder.surfaceProvider)
        // PreviewView's ViewPort (its size, FILL_CENTER): ImageAnalysis then reports the same crop
        // rectangle the preview shows (ImageProxy.cropRect), which LandmarkerHelper samples within.
        // It is null only before the view is laid out; we are called from viewFinder.post.
        val viewPort = binding.viewFinder.viewPort
        if (viewPort == null) Log.w(TAG, "PreviewView has no ViewPort yet: preview and analysis may differ in field of view")
        val group = UseCaseGroup.Builder().addUseCase(preview).addUseCase(imageAnalysis)
            .apply { viewPort?.let { setViewPort(it) } }
            .build()
        val selector = if (lens == Lens.FRONT) CameraSelector.DEFAULT_FRONT_CAMERA else CameraSelector.DEFAULT_BACK_CAMERA
        try {
            provider.bindToLifecycle(viewLifecycleOwner, selector, group)
            analysis = imageAnalysis
        } catch (e: IllegalArgumentException) { // no such camera on this phone
            viewModel.onError(getString(R.string.no_camera, lens.name.lowercase(), e.message))
        }
    }

    override fun onConfigurationChanged(newConfig: Configuration) {
        super.onConfigurationChanged(newConfig)
        analysis?.targetRotation = _binding?.viewFinder?.display?.rotation ?: return
    }

    override fun onResults(bundle: ResultBundle) {
        viewModel.onFrame(bundle.timeSeconds, bundle.modelMs, bundle.frameMs.toDouble(), bundle.status)
        activity?.runOnUiThread { _binding?.overlay?.setResults(bundle) }
    }

    override fun onError(message: String, gpuFailed: Boolean) {
        viewModel.onError(message, gpuFailed)
    }

    override fun onDestroyView() {
        analysis?.clearAnalyzer()
        cameraProvider?.unbindAll()
        cameraSettings = null // a new view binds afresh
        _binding = null
        super.onDestroyView()
        // Close on the thread that made the helper, then let the executor end by itself: waiting
        // for it here would block the main thread.
        backgroundExecutor.execute {
            helper?.close()
            helper = null
        }
        backgroundExecutor.shutdown()
    }

    private companion object {
        const val TAG = "CameraFragment"
        val ANALYSIS_SIZE = Size(640, 480)
    }
}
