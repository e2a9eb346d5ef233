"""Every sentence catdog shows, in English: the reference catalogue (zh.py has the same keys and {fields})."""

STRINGS = {
    # --- the app: navigation, sidebar ---
    "app.session_lost": (
        "This page lost its session on the server (the server restarted, or the page was away too long), so the"
        " photos you had here are gone. Please send them again."
    ),
    "app.dismiss": "Dismiss",
    "app.tab_title": "catdog: cat or dog?",
    "app.classify": "Classify",
    "app.evaluate": "Evaluate",
    "app.train": "Train",
    "app.lesson": "Lesson",
    "common.language": "Language",
    "common.present": "Presentation mode",
    "common.present_help": "For a projector: large type, thick chart lines, one photo per screen",
    "common.model": "Model",
    "common.classify_with": "Classify with",
    "common.no_model": "No model yet: train one on the Train page.",
    "common.checking_models": "Checking the models (the first time takes a few seconds)…",
    "common.loading_model": "Loading the model (the first time takes a few seconds)…",
    "common.model_unusable": (
        "The model “{name}” cannot be used: {reason}. Pick another one in the sidebar, or train one on the Train page."
    ),
    "common.unusable_models": "Models that cannot be used ({count})",
    "common.unusable_models_caption": "These files in the models folder are not offered in the model picker.",
    "common.unusable_file": "file",
    "common.unusable_why": "why",
    "common.dataset": "Dataset",
    "common.total": "total",
    "uploader.button": "Upload",
    "uploader.limits": "Photos up to {megabytes} MB each: {formats}",
    "uploader.too_big": " · not taken: up to {megabytes} MB a photo, {files} photos at a time",
    "class.cat": "cat",
    "class.dog": "dog",
    "split.train": "train",
    "split.validation": "validation",
    "split.test": "test",
    "model.pretrained": "pretrained {backbone}",
    "model.scratch": "scratch",
    "model.guessing": "guessing: train longer",
    "model.accuracy": "{score} accuracy",
    "model.no_record": "No run record saved with this model.",
    "model.details.started_from": "**Started from** {start}",
    "model.details.input": "**Input** {size} × {size} pixels",
    "model.details.trained": ("**Trained** {when} on {photos} photos ({data}), {epochs} epochs, augmentation off"),
    "model.details.trained_with_augmentation": (
        "**Trained** {when} on {photos} photos ({data}), {epochs} epochs, augmentation on"
    ),
    "model.details.validation_accuracy": "**Validation accuracy** {accuracy}",
    "model.details.test_accuracy": "**Test accuracy** {accuracy}",
    # --- the picked model's downloads (pages/downloads.py's model_download_ui) ---
    "export.title": "Download this model",
    "export.keras": "The Keras file the app runs, preprocessing included. Test accuracy {accuracy}",
    "export.tflite": "TensorFlow Lite files, for phones and small boards, are converted on request: "
    "from ten seconds to a few minutes.",
    "export.prepare": "Prepare TensorFlow Lite files",
    "export.converting": "Converting to TensorFlow Lite, float and int8, and scoring each file on the test photos…",
    "export.busy": "Another visitor is preparing a file; try again in a minute.",
    "export.float": "Float: the app's probabilities. Test accuracy {accuracy} (Keras file: {keras})",
    "export.int8": "int8: about a third of the size, computing in 8-bit integers inside. Test accuracy {accuracy} "
    "(Keras file: {keras})",
    "export.float_failed": "No TensorFlow Lite file could be made from this model (the server's log says why).",
    "export.int8_failed": (
        "No int8 file: it is calibrated on photos of the model's training split, and this server has none for it."
    ),
    "export.snippet": (
        "Classify photos with it, prepared exactly as the app prepares them, with only `numpy`, `pillow` and "
        "`ai-edge-litert` (or `tensorflow`) installed: `python {script} {file} photo.jpg`"
    ),
    # --- why an export cannot be made (catdog.export.ExportError): the CLI's export and the server's log ---
    "export.error.keras_not_quantized": (
        "only TensorFlow Lite files are quantized; a .keras file keeps the model as it is"
    ),
    "export.error.unknown_format": "the format is one of {formats}, not {format}",
    "export.error.unknown_quantization": "quantization is one of {quantizations}, not {quantize}",
    "export.error.not_a_model": "{model} is not a Keras model this app can read",
    "export.error.no_dataset": (
        "int8 needs photos like those the model learned from, and this model's run record names no dataset found "
        "here: name a dataset folder (--data)"
    ),
    "export.error.bad_dataset": "int8 needs training photos to calibrate with: {reason}",
    "export.error.no_photos": "int8 needs training photos to calibrate with, and {data} has none",
    "export.error.unreadable_photos": "none of the photos to calibrate int8 with could be read",
    # --- why a model file cannot be used (catdog.model.UnusableModel) ---
    "unusable.folder": "a folder, not a model file",
    "unusable.gone": "the file is gone",
    "unusable.unreadable": "the server cannot read this file",
    "unusable.empty": "an empty file",
    "unusable.not_keras": "not a Keras model file (damaged or cut short)",
    "unusable.not_square": "not a cat-or-dog model: it does not take square colour photos",
    "unusable.not_one_probability": "not a cat-or-dog model: it does not give one probability",
    "unusable.safe_mode": "Keras's safe mode refuses it: loading it would run code stored in the file",
    "unusable.unknown_layer": "it is built from a layer this app does not know",
    "unusable.keras_failed": "Keras could not read it (damaged, or saved by another version of Keras)",
    "unusable.not_loaded": "it could not be loaded",
    # --- verdicts and percentages (catdog.predict) ---
    "percent.over_99": "over 99%",
    "percent.under_1": "under 1%",
    "verdict.dog": "Dog — {percent} sure",
    "verdict.cat": "Cat — {percent} sure",
    "verdict.unsure": "Not sure ({percent} dog)",
    # --- run titles (catdog.runs.run_title) ---
    "run_title.automatic": "{dataset} · {photos} · {augmentation} · {time}",
    "run_title.as_typed": "{title}",
    "run_title.per_class": "{count} per class",
    "run_title.all_photos": "all photos",
    "run_title.augmentation": "augmentation",
    "run_title.no_augmentation": "no augmentation",
    # --- charts (catdog.charts) ---
    "chart.cat": "cat",
    "chart.dog": "dog",
    "chart.training_curve": "{run} · training",
    "chart.validation_curve": "{run} · validation",
    "chart.fine_tuning_starts": "fine-tuning starts",
    "chart.epoch": "epoch",
    "chart.accuracy": "accuracy",
    "chart.loss": "loss",
    "chart.accuracy_title": "Accuracy",
    "chart.loss_title": "Loss",
    "chart.share_of_cats": "<b>{count}</b><br>{share} of cats",
    "chart.share_of_dogs": "<b>{count}</b><br>{share} of dogs",
    "chart.said_cat": "said cat",
    "chart.said_dog": "said dog",
    "chart.true_cat": "true cat",
    "chart.true_dog": "true dog",
    "chart.true_cats": "true cats",
    "chart.true_dogs": "true dogs",
    "chart.histogram_hover": "{name}: %{{y}} photos at %{{x}}",
    "chart.dog_probability": "dog probability",
    "chart.photos_log_scale": "photos (log scale)",
    "chart.coin_toss": "a coin toss",
    "chart.at_the_threshold": "at the threshold",
    "chart.roc_hover": "{name}: %{{x:.1%}} of cats and %{{y:.1%}} of dogs said dog",
    "chart.false_positive_rate": "cats said dog (false positive rate)",
    "chart.true_positive_rate": "dogs said dog (true positive rate)",
    # --- Classify page ---
    "classify.title": "Cat or dog?",
    "classify.intro": "Upload one or more photos of a pet and see what the convnet sees and decides.",
    "classify.uploader": "Drop photos of cats or dogs here",
    "classify.camera": "Camera",
    "classify.camera_help": "Take a photo with this device's camera",
    "classify.camera_photo": "camera photo",
    "classify.random_photo": "Random test photo",
    "classify.random_photo_help": (
        "A photo the models did not train on (the test set, or the validation set if there is none), and its true label"
    ),
    "classify.upload_refused": (
        "not taken: the server holds at most {files} photos and {megabytes} MB of one visitor's uploads at a time"
    ),
    "classify.unreadable": "{reason}.",
    "classify.refused": "not added: one visitor keeps up to {count} photos at a time. Remove some to add more.",
    "classify.remove_all": "Remove all photos",
    "classify.model_loading": "Loading the model… Your verdicts appear here as soon as it is ready, in a few seconds.",
    "classify.busy": (
        "The server is very busy and could not answer in time. Your photos are kept: it tries again on the page's"
        " next run."
    ),
    "classify.start": "Upload a photo (or several) to start.",
    "classify.remove_photo": "Remove this photo",
    "classify.photo_of": "Photo {number} of {count}",
    "classify.previous_photo": "The previous photo",
    "classify.next_photo": "The next photo",
    "classify.your_photo": "Your photo, upright: {width} × {height} pixels",
    "classify.where_it_looked": "Where the model looked: red counted most for its verdict",
    "classify.true_label_right": "True label: **{label}** (✅ right)",
    "classify.true_label_wrong": "True label: **{label}** (❌ wrong)",
    "classify.model_sees": "What the model sees: {size} × {size} pixels, enlarged",
    "classify.classified_in": "Classified in {ms} ms",
    "classify.look_inside": "Look inside the model",
    "classify.look_inside_help": "What its layers see, and augmentation",
    "classify.layer": "Convolutional layer, first to last",
    "classify.channels": "{layer}: {shown} of its {channels} channels, each {width} × {height} (white: strong)",
    "classify.augmentation": (
        "**How augmentation sees this photo**: training shows the model a new variation each epoch"
    ),
    "classify.other_models": "**What the other models say**",
    "classify.compare_all": "Compare all models",
    "classify.compare_all_help": "Every model's verdict on each photo, side by side",
    "classify.heatmaps": "Where the model looked",
    "classify.heatmaps_help": "A Grad-CAM heatmap over each photo: the parts that counted most for the verdict",
    "classify.left_out": "“{name}” is left out of the comparison: {reason}.",
    "classify.table.file": "file",
    "classify.table.verdict": "verdict",
    "classify.table.dog_probability": "dog probability",
    "classify.table.true_label": "true label",
    "classify.table.time": "time (ms)",
    "classify.table.model": "model",
    "classify.table.probability": "dog probability (0 to 1)",
    "classify.download_csv": "Download as CSV",
    "classify.how_title": "How does this work?",
    "classify.how": """
A **convolutional neural network** (a *convnet*) looked at thousands of labelled photos of
cats and dogs and learned, layer by layer, which patterns tell them apart: edges first, then
textures like fur, then shapes like ears and snouts.

1. Your photo is turned upright and **squashed to {size} pixels**: that small square (shown
   enlarged above) is all the model ever sees.
2. The pixels flow through the convnet's layers, which end in a single number between 0 and 1:
   the **dog probability**.
3. Over 50% means *dog*, under 50% means *cat*. Near 50% the model is unsure, and we say so.

The probability is how sure the model is, not a guarantee: a model trained on pet photos has
never seen a fox, a drawing or a cat in a dog costume, and will still answer cat or dog.
""",
    "classify.how_neither": """
**Why the convnet alone cannot say "neither".** A cat-or-dog model has only two answers: its
last step turns whatever it sees into one probability of *dog*, and the rest is *cat*, so a
photo of a car or a cake must still be split between the two. It never saw a car while it
learned, so nothing taught it to be unsure about one. To notice such a photo we ask a different
question: does it look like anything seen in training? The pretrained network describes every
photo with 1,280 numbers, and when even the 10 most similar of the training photos of the animal
it was called (and of their varied views: turned, dim, tinted, blurred, as phones take pets) are
far from this one, we say "This doesn't look like a cat or a dog". It is set to wrongly flag about
1 in 200 real pet photos, and it can be fooled: a small pet in a big room may be flagged, and a
drawing of a dog, or a house, may pass.
""",
    "classify.neither": "This doesn't look like a cat or a dog",
    "classify.neither_model_says": "The model, which only knows cats and dogs, would still say: {verdict}.",
    "classify.table.neither": "neither? (the model: {verdict})",
    "classify.table.neither_column": "neither a cat nor a dog",
    # --- Evaluate page ---
    "evaluate.title": "Evaluate a model",
    "evaluate.intro": (
        "Score a model on labelled photos it did not train on: how often it is right, which mistakes it "
        "makes, and how sure it was. Move the threshold and watch the mistakes trade places."
    ),
    "evaluate.no_dataset": (
        "No dataset on this server yet, so there are no labelled photos to score a model on. The server's "
        "operator can run `python -m catdog download` (or `python -m catdog import PATH` for their own "
        "photos), or point `CATDOG_DATA_DIR` at a folder with `train/`, `validation/` and `test/`, each "
        "holding `cats/` and `dogs/`. The Train page can download one too."
    ),
    "evaluate.photos": "Photos",
    "evaluate.split_count": "{split} ({count})",
    "evaluate.photos_help": (
        "Only the test photos give an honest score: the model learned from the training photos, "
        "and its best epoch was picked on the validation photos."
    ),
    "evaluate.compare_with": "Compare with",
    "evaluate.no_other_model": "no other model",
    "evaluate.compare_with_help": (
        "Score a second model on the same photos, side by side: from scratch against pretrained."
    ),
    "evaluate.cannot_compare": "“{name}” cannot be compared: {reason}.",
    "evaluate.evaluate": "Evaluate",
    "evaluate.classifying": "Classifying the {count} photos with “{name}”…",
    "evaluate.classifying_progress": "Classifying with “{name}”: {done} of {total} photos",
    "evaluate.waiting": "“{name}” waits for another visitor's evaluation: the server scores one at a time, each once.",
    "evaluate.awaited_failed": (
        "The evaluation of “{name}” that this page was waiting for failed. Press **Evaluate** to try again."
    ),
    "evaluate.press_evaluate": "Press **Evaluate** to classify the {count} {split} photos with “{name}”.",
    "evaluate.press_evaluate_two": (
        "Press **Evaluate** to classify the {count} {split} photos with “{name}” and “{other}”."
    ),
    "evaluate.accuracy": "Accuracy",
    "evaluate.accuracy_help": (
        "The share of photos labelled right at this threshold, with the range that the true accuracy "
        "lies in with 95% confidence (Wilson's interval): a few hundred photos pin it down only so far."
    ),
    "evaluate.right_of": "{right} of {n} right · 95% interval {low} to {high}",
    "evaluate.auc_help": (
        "Area under the ROC curve: the chance that a random dog gets a higher dog probability than a "
        "random cat. 1 is a perfect ranking, 0.5 a coin toss. It does not depend on the threshold."
    ),
    "evaluate.one_mistake": "{count} mistake at this threshold",
    "evaluate.mistakes": "{count} mistakes at this threshold",
    "evaluate.roc_needs_both": "A ROC curve needs photos of both classes.",
    "evaluate.roc_explained": """
**The ROC curve** shows every threshold at once. Sliding the threshold down from 100% labels
more photos *dog*: more real dogs are caught (up), but more cats are called dogs too (right).
The dot is the threshold picked above.

A perfect model goes straight up, then across: it ranks every dog above every cat. A model
that guesses follows the dotted diagonal. The area under the curve (AUC) sums it up in one
number.
""",
    "evaluate.look_at_photos": "Look at the photos",
    "evaluate.photos_as_seen_by": "Photos as seen by",
    "evaluate.cell": "Cell of the confusion matrix",
    "evaluate.cell.cats_said_cat": "cats said cat ({count})",
    "evaluate.cell.cats_said_dog": "cats said dog ({count})",
    "evaluate.cell.dogs_said_cat": "dogs said cat ({count})",
    "evaluate.cell.dogs_said_dog": "dogs said dog ({count})",
    "evaluate.empty_cell": "No photos in this cell at this threshold.",
    "evaluate.furthest_first": "Furthest from their true label first.",
    "evaluate.furthest_first_of": "Furthest from their true label first: the first {shown} of {count}.",
    "evaluate.mistakes_and_close_calls": "Mistakes and close calls",
    "evaluate.grad_cam": "Show where the model looked (Grad-CAM)",
    "evaluate.grad_cam_help": (
        "Red: the parts of the photo that pushed the model towards its answer; blue: parts that did not."
    ),
    "evaluate.most_confident_mistakes": "**The most confident mistakes**",
    "evaluate.no_mistakes": "No mistakes at this threshold.",
    "evaluate.least_certain": "**The least certain photos**: the closest to the threshold",
    "evaluate.working_out": "Working out where the model looked…",
    "evaluate.gallery.cat": "{name}: a cat, {percent} dog",
    "evaluate.gallery.dog": "{name}: a dog, {percent} dog",
    "evaluate.download_csv": "Download every photo's result as CSV",
    "evaluate.left_out": "Left out, as they could not be read as photos: {names}.",
    "evaluate.none_readable": "None of these photos could be read, so there is nothing to score.",
    "evaluate.threshold": "Threshold: a dog probability at or above it says dog",
    "evaluate.threshold_help": (
        "The app says dog from {threshold} up. Move it and watch cats said dog trade places with dogs said cat."
    ),
    # --- Lesson page (and catdog.lesson's steps and teacher's notes) ---
    "lesson.title": "A lesson in three runs",
    "lesson.intro": (
        "A 45-minute class on overfitting and transfer learning, in three real runs on the same 100 photos of cats "
        "and 100 of dogs: a small convnet from scratch, the same with augmentation, then a network pretrained on "
        "ImageNet. The class watches each run's curves grow, then sees the three on one chart and where each model "
        "looks in a photo of their own. On a 2-core laptop the three runs take about 4 minutes together "
        "(longer while it does other work); the rest of the class is for the notes below and the class's questions."
    ),
    "lesson.locked": "Training is locked with a password on this server: unlock it on the Train page to run the steps.",
    "lesson.unlock": "Unlock training on the Train page",
    "lesson.no_dataset": (
        "The lesson trains on a dataset of the usual size (2,000 training and 1,000 validation photos), "
        "and this server has none yet."
    ),
    "lesson.get_dataset": "Get one on the Train page",
    "lesson.smaller_dataset": (
        "This dataset is smaller than the notes assume: the steps train on {per_class} photos of each class, not 100, "
        "and are judged on {validation} validation photos, not 1,000."
    ),
    "lesson.busy": "“{title}” is training: a step can start once it has ended.",
    "lesson.notes": "Teacher's notes",
    "lesson.notes_before": "Before you press Run:",
    "lesson.notes_during": "While it trains:",
    "lesson.notes_after": "Once it has finished:",
    "lesson.not_run": "Not run yet on this dataset.",
    "lesson.run": "Run step {number}",
    "lesson.run_again": "Run step {number} again",
    "lesson.train_accuracy": "Training accuracy",
    "lesson.validation_accuracy": "Validation accuracy",
    "lesson.gap": "Gap (points)",
    "lesson.compare_title": "The three runs on one chart",
    "lesson.compare_empty": "Each step's curves appear here once its run has finished.",
    "lesson.photo_title": "A photo from the class",
    "lesson.photo_intro": (
        "Upload a photo the class took, or use one kept on the Classify page: each finished step's model "
        "gives its verdict and shows where it looked."
    ),
    "lesson.uploader": "A photo of a cat or a dog",
    "lesson.which_photo": "Photo",
    "lesson.no_photo": "No photo yet.",
    "lesson.no_models": "Run a step above: its model's verdict and heatmap appear here.",
    "lesson.model_unusable": "This step's model cannot be used: {reason}. Run the step again.",
    "lesson.overfit.title": "1 · 100 photos per class",
    "lesson.overfit.before": (
        "We train a small convnet from scratch on only 100 photos of cats and 100 of dogs. "
        "With so few photos, a network can learn each one by heart instead of learning what a cat is. "
        "Ask the class to guess its accuracy on 1,000 photos it has never seen."
    ),
    "lesson.overfit.during": (
        "Dotted is accuracy on the training photos, solid on the validation photos it never trains on. "
        "Training climbs towards 100% while validation stalls near 70%: that gap is overfitting. "
        "Ask where it looks in a photo, at the animal or at the background: the class's photo at the end shows it."
    ),
    "lesson.overfit.after": (
        "Ask: why is it nearly perfect on its own photos and so much worse on new ones? "
        "It memorised 200 photos rather than learning cats and dogs. "
        "How could we show it more photos without taking any?"
    ),
    "lesson.augment.title": "2 · the same, with augmentation",
    "lesson.augment.before": (
        "Same network, same 200 photos, one change: each time a photo is shown, it is randomly flipped, "
        "turned, zoomed, shifted and its contrast changed. A cat turned a little is still a cat. "
        "Ask what will happen to the gap between the two curves."
    ),
    "lesson.augment.during": (
        "Training accuracy climbs more slowly: every epoch brings photos it has not seen in that form. "
        "Compare with step 1: the dotted curve stays much closer to the solid one."
    ),
    "lesson.augment.after": (
        "The gap shrank, but validation barely rose: augmentation stops the memorising, "
        "yet it cannot invent what 200 photos never show. "
        "Ask: where could a network get more knowledge of photos from?"
    ),
    "lesson.pretrained.title": "3 · a pretrained backbone",
    "lesson.pretrained.before": (
        "Now we start from MobileNetV2, a network trained on 1.4 million ImageNet photos of 1,000 kinds "
        "of things. We freeze it and train only a new last layer, on the same 200 photos. "
        "Ask the class to predict its accuracy."
    ),
    "lesson.pretrained.during": (
        "First the backbone turns each photo into 1,280 numbers it learned on ImageNet: that is the slow part. "
        "Then each epoch takes a fraction of a second, and validation passes 95% within a few epochs."
    ),
    "lesson.pretrained.after": (
        "The same 200 photos, and about 97% instead of 70%: the backbone already knew edges, fur, eyes and ears. "
        "This is transfer learning, how most image models are built. "
        "Upload a photo below and compare where the three models look."
    ),
    # --- Train page ---
    "train.title": "Train a convnet",
    "train.intro": (
        "Train a model while the class watches the curves. From scratch, choose 100 photos per class "
        "and watch the training curve race ahead of the validation curve: that gap is overfitting. "
        "Then run it again with augmentation on, and compare the two runs below. From a pretrained "
        "backbone, see how far ImageNet's features get with the same photos."
    ),
    "train.off": "Training is turned off on this server (a hosted demo). Run the app on your own machine to train.",
    "train.too_many_tries": "Too many wrong passwords on this server. Try again in {seconds} s.",
    "train.password_wait": "Too soon after a wrong password. Try again in {seconds} s.",
    "train.password": "Training on this server needs a password",
    "train.wrong_password": "That password is not right.",
    "train.no_dataset": (
        "No dataset on this server yet. The server's operator can run `python -m catdog download` "
        "(or `python -m catdog import PATH` for their own photos), or point `CATDOG_DATA_DIR` at a folder "
        "with `train/` and `validation/`, each holding `cats/` and `dogs/`."
    ),
    "train.download": "Download 3,000 photos of cats and dogs ({megabytes} MB)",
    "train.connecting": "Connecting…",
    "train.downloading": "Downloading: {done} of {total} MB",
    "train.download_failed": "The download failed: {reason}.",
    "train.the_data_folder": "the data folder",
    "train.start_from": "Start from",
    "train.start_scratch": "scratch (the book's convnet)",
    "train.start_pretrained": "pretrained {backbone} (ImageNet)",
    "train.start_from_help": (
        "A pretrained backbone already knows ImageNet's photos: it needs only a new head and a short fine-tune."
    ),
    "train.per_class": "Training photos per class",
    "train.fewer_photos": (
        "This dataset has only {have} training photos of one class: the run trains on {have} per class, not {asked}."
    ),
    "train.small_data": "{count} (small data: watch it overfit)",
    "train.all_photos": "all",
    "train.epochs": "Epochs",
    "train.augmentation": "Data augmentation",
    "train.augmentation_help": (
        "Random flips, turns, zooms, shifts and contrast changes of each training photo. "
        "A pretrained run with it also computes the features of an augmented view of each photo: "
        "slower, and on the shared photos no more accurate."
    ),
    "train.learning_rate": "Learning rate",
    "train.advanced": "Advanced",
    "train.fine_tune_epochs": "Fine-tuning epochs (the last ones)",
    "train.image_size": "Image size (pixels)",
    "train.width": "Filters in the first layer",
    "train.batch_size": "Batch size",
    "train.run_name": "Run name",
    "train.run": "Run “{title}”",
    "train.run_failed": "Run “{title}” failed: {reason}",
    "train.run_ended_early": "Run “{title}” {status} before its first epoch ended: it learned nothing.",
    "train.status": "Status",
    "train.stopping": "stopping…",
    "train.best_validation_accuracy": "Best validation accuracy",
    "train.time": "Time",
    "train.seconds": "{seconds} s",
    "train.only_starter_stops": "Only the visitor who started this run can stop it.",
    "train.stop": "Stop after this batch",
    "train.watched_photo_gone": "The validation photo watched during this run is no longer in its dataset.",
    "train.looks_after_epoch": "Where the model looks after epoch {epoch}",
    "train.epoch": "epoch {epoch}",
    "train.looks_explained": (
        "One validation photo, as the model sees it, after each epoch: red where the evidence for its verdict "
        "lies, blue where none does. A model that learns moves to the animal; one that learns its training "
        "photos by heart may settle on the background."
    ),
    "train.progress.starting": "Starting the training process…",
    "train.progress.weights": "Downloading the backbone's ImageNet weights (only the first time)…",
    "train.progress.decoding": "Decoding the photos: {done} of {total}…",
    "train.progress.features": "Computing the backbone's features of each photo, once: {done} of {total}…",
    "train.progress.stopping": "Epoch {epoch}/{epochs} · stopping after this batch…",
    "train.progress.first_batch": "Epoch 1/{epochs} · first batch (TensorFlow builds the model's graph first)…",
    "train.progress.batch": "Epoch {epoch}/{epochs} · batch {batch}/{batches}",
    "train.progress.batch_left": "Epoch {epoch}/{epochs} · batch {batch}/{batches} · about {seconds} s left",
    "train.phase_now": "Now: {phase}.",
    "train.phase_time": "{phase} {seconds} s",
    "train.phase_times": "Time per phase: {times}.",
    "phase.decoding": "decoding the photos",
    "phase.features": "the backbone's features",
    "phase.head": "training the head",
    "phase.fine_tune": "fine-tuning",
    "phase.training": "training",
    "phase.test": "scoring the test photos",
    "phase.saving": "saving the model",
    "train.use_model": "Use “{title}” to classify",
    "train.past_runs": "Past runs",
    "train.runs.name": "name",
    "train.runs.date": "date",
    "train.runs.started_from": "started from",
    "train.runs.augmentation": "augmentation",
    "train.runs.precision": "precision",
    "train.runs.photos_per_class": "photos/class",
    "train.runs.epochs": "epochs",
    "train.runs.best_accuracy": "best val. accuracy",
    "train.runs.time": "time",
    "train.runs.seconds_format": "%d s",
    "train.runs.status": "status",
    "train.runs.why": "why it failed",
    "train.on": "on",
    "train.off_short": "off",
    "train.guessing": "{state} · guessing: train longer",
    "status.preparing": "preparing",
    "status.training": "training",
    "status.finished": "finished",
    "status.stopped": "stopped",
    "status.failed": "failed",
    "status.interrupted": "interrupted",
    "train.compare_runs": "Compare runs on one chart",
    "train.delete_run": "Delete a run and its model",
    "train.delete": "Delete…",
    "train.delete_for_good": "Delete “{title}” and its model for good?",
    "train.delete_yes": "Yes, delete it",
    "train.delete_cancel": "Cancel",
    "train.new_run": "New run",
    "train.start": "Start training",
    "train.one_run_at_a_time": "Only one run at a time: {reason}",
    # --- errors a person can cause, raised by the library (catdog.i18n.TranslatedError); str() is the English ---
    "photo.empty": "the file is empty",
    "photo.too_many_pixels": "the image is too large ({width}×{height} pixels, over {most} megapixels)",
    "photo.too_large": "the image is too large to open safely",
    "photo.not_an_image": "this is not an image we can read",
    "photo.wrong_format": "this is a {format} file, not a JPEG, PNG, WebP, BMP or GIF photo",
    "photo.too_much_memory": (
        "the image is too large to open: its {width}×{height} pixels would take {needed} MB of memory, "
        "and one photo may take at most {most} MB (a JPEG of the same photo opens)"
    ),
    "photo.metadata_too_large": "the image carries too much hidden text (metadata) to open safely",
    "photo.damaged": "the image data is damaged or cut short",
    "photo.missing": "the file does not exist",
    "photo.folder": "this is a folder, not a photo",
    "photo.unreadable": "the file could not be read",
    "weights.unavailable": (
        "the ImageNet weights of {backbone} could not be downloaded: put {file} into {folder} "
        "(or connect to the internet once) and try again"
    ),
    "dataset_error.not_a_folder": "{folder} is not a folder",
    "dataset_error.no_layout": (
        "{folder} has neither train/cats + train/dogs folders nor photos named cat.N.jpg / dog.N.jpg"
    ),
    "dataset_error.no_photos": "the {split} split of {folder} has no {animals} photos",
    "dataset_error.cat_or_dog": "cat or dog",
    "dataset_error.too_few": "the {split} split of {folder} has too few readable photos of each class",
    "dataset_error.too_few_to_learn": (
        "the train split of {folder} has {cats} cat and {dogs} dog photos; "
        "training needs at least {minimum} readable photos of each class"
    ),
    "fetch.not_web_address": "{url} is not a web address: it must start with http:// or https://",
    "fetch.no_splits": "{file} from {url} has no train/ and validation/ folders of cats and dogs",
    "fetch.source_missing": "{source} does not exist",
    "fetch.no_readable": "{source} has no readable {animal} photos",
    "fetch.not_zip": "{archive} is not a ZIP archive, or it is damaged",
    "fetch.compression": (
        "{archive} uses a compression Python cannot unpack: unpack it with your system's tool and import the folder"
    ),
    "fetch.twice": "{archive} was refused: it holds {entry} twice",
    "fetch.outside": "{archive} was refused: its entry {entry} would land outside the folder it is unpacked into",
    "fetch.link": "{archive} was refused: its entry {entry} is a symbolic link",
    "fetch.special": "{archive} was refused: its entry {entry} is not a plain file or folder",
    "fetch.encrypted": "{archive} was refused: its entry {entry} is encrypted",
    "fetch.too_many_files": "{archive} was refused: it holds {files} files, more than {most}",
    "fetch.too_big": "{archive} was refused: it unpacks to {size}, more than {most}",
    "fetch.http": (
        "{url} answered {code}: check the address, or download {url} by hand and run `python -m catdog import {file}`"
    ),
    "fetch.unreachable": (
        "could not reach {host}: check the internet connection, or download {url} by hand and run "
        "`python -m catdog import {file}`"
    ),
    "fetch.size_changed": (
        "{url} offers {offered} bytes, but {file} is published as {size}: the file has changed or the address is "
        "wrong, so nothing was downloaded"
    ),
    "fetch.broke_off": "the download from {host} broke off after {done}: try again",
    "fetch.cut_short": "the download from {host} broke off after {done} of {total} bytes: try again",
    "fetch.wrong_size": "{file} came as {done} bytes, not its published {size}: nothing was kept",
    "fetch.wrong_hash": "{file} has sha256 {actual}, not the expected {expected}: nothing was kept",
    "fetch.no_layout": (
        "{source} holds neither train/cats + train/dogs folders, Cat/ + Dog/ folders, "
        "nor photos named cat.N.jpg / dog.N.jpg"
    ),
    "fetch.bad_name": "{name} cannot name a dataset: use a plain folder name such as my_pets",
    "fetch.exists": "{target} already exists: choose another name, or delete it first",
    "fetch.disk_full": "the disk is full ({file}): free some space and try again",
    "fetch.file_error": "could not read or write {file}",
    "fetch.io_error": "could not read or write a file",
    "fetch.no_space": "not enough free space in {folder}: {needed} are needed and {free} are free",
    "busy.training": "“{title}” is still training ({progress} done); stop it or wait.",
    "busy.other_process": "another training process is still running in this models folder; wait for it.",
    # --- why a run failed (catdog.runs.RunRecord.failure), written by the training process ---
    "run_failed.out_of_memory": (
        "The server ran out of memory. Try fewer photos per class, a smaller image size or a smaller batch."
    ),
    "run_failed.could_not_start": "Training could not start: {reason}.",
    "run_failed.crash": "Training failed: {error}",
    "run_failed.tensorflow": (
        "TensorFlow could not compute a training step ({kind}). "
        "Try again with fewer photos per class, a smaller image size or a smaller batch."
    ),
    "run_failed.busy": "Another training process is already running in this models folder.",
    "run_failed.killed": "The training process was killed by {signal}.",
    "run_failed.killed_oom": (
        "The training process was killed by {signal} (the system's out-of-memory killer sends this)."
    ),
    "run_failed.ended": "The training process ended unexpectedly (exit code {code}).",
    "run_failed.as_recorded": "{reason}",  # a record from before these sentences: the English it kept
    # --- the command line's lines for people (catdog.cli; its --json stays English) ---
    "cli.no_model": "error: no model at {model}",
    "cli.error": "error: {reason}",
    "cli.photo_error": "{path}: error: {reason}",
    "cli.prediction": "{path}: {label}, {percent} dog",
    "cli.prediction_neither": "{path}: doesn't look like a cat or a dog (the model alone says {label}, {percent} dog)",
    "cli.not_a_folder": "error: {folder} is not a folder",
    "cli.neither_needs_backbone": "error: {model} has no pretrained backbone, whose features the check needs",
    "cli.neither_saved": (
        "{out}: {photos} training photos, threshold {threshold} "
        "(flags {percent} of validation photos and their varied views)"
    ),
    "cli.neither_test": "test photos flagged as neither a cat nor a dog: {percent} of {photos}",
    "cli.explained": "{path}: {label}, {percent} dog; heatmap in {image}",
    "cli.explained_neither": (
        "{path}: doesn't look like a cat or a dog (the model alone says {label}, {percent} dog); heatmap in {image}"
    ),
    "cli.explain_tflite": "error: explain needs the .keras model: a TensorFlow Lite file keeps no gradients",
    "cli.cannot_make_folder": "error: cannot make the folder {folder} ({reason})",
    "cli.pretrained_size": "error: a pretrained backbone takes {side} × {side} photos, not --image-size {size}",
    "cli.fine_tune_too_long": "error: --fine-tune-epochs {fine_tune} is more than --epochs {epochs}",
    "cli.skipped": "skipped {path}: {reason}",
    "cli.trained": "best validation accuracy {validation} at epoch {epoch}, test accuracy {test}, {seconds} s",
    "cli.trained_without_test": (
        "best validation accuracy {validation} at epoch {epoch}, {seconds} s (no test split, so no test accuracy)"
    ),
    "cli.phase_begins": "▸ {phase}…",
    "cli.phase_times": "time per phase: {times}",
    "cli.saved_model": "saved {model} and {record}",
    "cli.export_wrong_suffix": "error: --format {format} writes a {suffix} file, not {file}",
    "cli.export_quantize_keras": (
        "error: --quantize {quantize} is for --format tflite; a .keras file is the model as it is"
    ),
    "cli.cannot_write": "error: cannot write {file} ({reason})",
    "cli.exported": "saved {file} ({megabytes} MB, {seconds} s)",
    "cli.try_exported": "try it: python -m catdog predict --model {file} PHOTO",
    "cli.bfloat16_unavailable": "bfloat16 does not run on this computer: trained in float32 instead",
    "cli.no_readable_photos": "error: no readable photos in {folder}/cats or {folder}/dogs",
    "cli.accuracy": "accuracy {accuracy} on {n} photos ({seconds} s)",
    "cli.said_cat": "said cat",
    "cli.said_dog": "said dog",
    "cli.cats": "cats",
    "cli.dogs": "dogs",
    "cli.unreadable": "unreadable: {count}",
    "cli.downloading": "downloading {url}",
    "cli.saved": "saved {folder}",
    "cli.downloading_weights": "downloading the ImageNet weights of {backbone}",
    "cli.weights_in_cache": "{backbone}: ImageNet weights in {file}",
    "cli.interrupted": "interrupted, nothing was kept",
    "cli.imported": "imported {total} photos from {source} ({layout}) into {dataset}",
    "cli.skipped_one": "skipped 1 file:",
    "cli.skipped_many": "skipped {count} files:",
    "cli.counts": "  {split}: {cats} cats, {dogs} dogs",
    "cli.amount_of": "{done} of {total} {unit}",
    "cli.megabytes": "MB",
    "cli.files_checked": "files checked",
}
