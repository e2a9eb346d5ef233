"""Every sentence catdog shows, in Simplified Chinese: the same keys and {fields} as en.py.

Names stay as they are (catdog, Grad-CAM, MobileNetV2, ImageNet, Keras, CSV, AUC, ROC), as a class
meets them in papers and code. Markdown bold never ends on punctuation before a Chinese character:
CommonMark would not close it there.
"""

STRINGS = {
    # --- the app: navigation, sidebar ---
    "app.session_lost": (
        "这个页面在服务器上的会话已经没有了（服务器重新启动过，或页面离开太久），你之前在这里的照片都没有了。请重新上传。"
    ),
    "app.dismiss": "关闭提示",
    "app.tab_title": "catdog：是猫还是狗？",
    "app.classify": "识别",
    "app.evaluate": "评估",
    "app.train": "训练",
    "app.lesson": "课堂",
    "common.language": "语言",
    "common.present": "演示模式",
    "common.present_help": "用于投影：大字号、粗图线，每屏一张照片",
    "common.model": "模型",
    "common.classify_with": "用于识别的模型",
    "common.no_model": "还没有模型：请在“训练”页训练一个。",
    "common.checking_models": "正在检查模型（第一次需要几秒钟）…",
    "common.loading_model": "正在加载模型（第一次需要几秒钟）…",
    "common.model_unusable": "模型“{name}”无法使用：{reason}。请在侧边栏另选一个，或在“训练”页训练一个。",
    "common.unusable_models": "无法使用的模型（{count} 个）",
    "common.unusable_models_caption": "模型文件夹中的这些文件不会出现在模型选择器里。",
    "common.unusable_file": "文件",
    "common.unusable_why": "原因",
    "common.dataset": "数据集",
    "common.total": "合计",
    "uploader.button": "上传",
    "uploader.limits": "每张照片最大 {megabytes} MB：{formats}",
    "uploader.too_big": " · 未接收：每张最大 {megabytes} MB，每次最多 {files} 张",
    "class.cat": "猫",
    "class.dog": "狗",
    "split.train": "训练集",
    "split.validation": "验证集",
    "split.test": "测试集",
    "model.pretrained": "预训练 {backbone}",
    "model.scratch": "从零训练",
    "model.guessing": "在瞎猜：需要训练更久",
    "model.accuracy": "准确率 {score}",
    "model.no_record": "这个模型没有保存训练记录。",
    "model.details.started_from": "**起点** {start}",
    "model.details.input": "**输入** {size} × {size} 像素",
    "model.details.trained": "**训练于** {when}，用了 {photos} 张照片（{data}），{epochs} 轮，未使用数据增强",
    "model.details.trained_with_augmentation": (
        "**训练于** {when}，用了 {photos} 张照片（{data}），{epochs} 轮，使用了数据增强"
    ),
    "model.details.validation_accuracy": "**验证准确率** {accuracy}",
    "model.details.test_accuracy": "**测试准确率** {accuracy}",
    # --- the picked model's downloads (pages/downloads.py's model_download_ui) ---
    "export.title": "下载此模型",
    "export.keras": "应用运行的 Keras 文件，预处理已包含在内。测试准确率 {accuracy}",
    "export.tflite": "适用于手机和小型开发板的 `.tflite` 文件需要按需转换，耗时十几秒到几分钟。",
    "export.prepare": "准备 `.tflite` 文件",
    "export.converting": "正在转换为浮点和 8 位整数两种 `.tflite` 文件，并逐一在测试照片上评分……",
    "export.busy": "另一位访客正在准备文件，请一分钟后再试。",
    "export.float": "浮点：概率与应用给出的相同。测试准确率 {accuracy}（Keras 文件：{keras}）",
    "export.int8": "8 位整数：体积约为三分之一，内部用 8 位整数计算。测试准确率 {accuracy}（Keras 文件：{keras}）",
    "export.float_failed": "无法从这个模型生成 `.tflite` 文件（原因见服务器日志）。",
    "export.int8_failed": "无法生成 8 位整数文件：它需要用模型训练集中的照片校准，而这台服务器上没有这些照片。",
    "export.snippet": (
        "用它给照片分类，照片的预处理与应用完全相同，只需安装 `numpy`、`pillow` 和 `ai-edge-litert`"
        "（或 `tensorflow`）：`python {script} {file} photo.jpg`"
    ),
    # --- why an export cannot be made (catdog.export.ExportError): the CLI's export and the server's log ---
    "export.error.keras_not_quantized": "只有 TensorFlow Lite 文件可以量化；.keras 文件保持模型原样",
    "export.error.unknown_format": "格式只能是 {formats} 之一，而不是 {format}",
    "export.error.unknown_quantization": "量化方式只能是 {quantizations} 之一，而不是 {quantize}",
    "export.error.not_a_model": "{model} 不是本应用能读取的 Keras 模型",
    "export.error.no_dataset": (
        "8 位整数需要与模型学过的照片相似的照片，而这个模型的训练记录里没有写明本机上能找到的数据集："
        "请用 --data 指定数据集文件夹"
    ),
    "export.error.bad_dataset": "8 位整数需要训练照片来校准：{reason}",
    "export.error.no_photos": "8 位整数需要训练照片来校准，而 {data} 里一张也没有",
    "export.error.unreadable_photos": "用来校准 8 位整数的照片都无法读取",
    # --- why a model file cannot be used (catdog.model.UnusableModel) ---
    "unusable.folder": "这是一个文件夹，不是模型文件",
    "unusable.gone": "文件已不存在",
    "unusable.unreadable": "服务器无法读取这个文件",
    "unusable.empty": "这是一个空文件",
    "unusable.not_keras": "不是 Keras 模型文件（已损坏或不完整）",
    "unusable.not_square": "不是猫狗模型：它不接受正方形的彩色照片",
    "unusable.not_one_probability": "不是猫狗模型：它不输出单个概率",
    "unusable.safe_mode": "Keras 的安全模式拒绝加载它：加载会运行文件里存储的代码",
    "unusable.unknown_layer": "它用到了本应用不认识的层",
    "unusable.keras_failed": "Keras 无法读取它（已损坏，或由其他版本的 Keras 保存）",
    "unusable.not_loaded": "无法加载",
    # --- verdicts and percentages (catdog.predict) ---
    "percent.over_99": "超过 99%",
    "percent.under_1": "不到 1%",
    "verdict.dog": "狗 — {percent} 的把握",
    "verdict.cat": "猫 — {percent} 的把握",
    "verdict.unsure": "拿不准（是狗的概率 {percent}）",
    # --- run titles (catdog.runs.run_title) ---
    "run_title.automatic": "{dataset} · {photos} · {augmentation} · {time}",
    "run_title.as_typed": "{title}",
    "run_title.per_class": "每类 {count} 张",
    "run_title.all_photos": "全部照片",
    "run_title.augmentation": "数据增强",
    "run_title.no_augmentation": "无数据增强",
    # --- charts (catdog.charts) ---
    "chart.cat": "猫",
    "chart.dog": "狗",
    "chart.training_curve": "{run} · 训练",
    "chart.validation_curve": "{run} · 验证",
    "chart.fine_tuning_starts": "开始微调",
    "chart.epoch": "轮次",
    "chart.accuracy": "准确率",
    "chart.loss": "损失",
    "chart.accuracy_title": "准确率",
    "chart.loss_title": "损失",
    "chart.share_of_cats": "<b>{count}</b><br>占猫的 {share}",
    "chart.share_of_dogs": "<b>{count}</b><br>占狗的 {share}",
    "chart.said_cat": "判为猫",
    "chart.said_dog": "判为狗",
    "chart.true_cat": "真实为猫",
    "chart.true_dog": "真实为狗",
    "chart.true_cats": "真实的猫",
    "chart.true_dogs": "真实的狗",
    "chart.histogram_hover": "{name}：%{{x}} 处有 %{{y}} 张照片",
    "chart.dog_probability": "狗的概率",
    "chart.photos_log_scale": "照片数（对数刻度）",
    "chart.coin_toss": "抛硬币",
    "chart.at_the_threshold": "当前阈值处",
    "chart.roc_hover": "{name}：%{{x:.1%}} 的猫和 %{{y:.1%}} 的狗被判为狗",
    "chart.false_positive_rate": "猫被判为狗（假阳性率）",
    "chart.true_positive_rate": "狗被判为狗（真阳性率）",
    # --- Classify page ---
    "classify.title": "是猫还是狗？",
    "classify.intro": "上传一张或多张宠物照片，看看卷积网络看到了什么、做出了什么判断。",
    "classify.uploader": "把猫或狗的照片拖到这里",
    "classify.camera": "相机",
    "classify.camera_help": "用这台设备的相机拍一张照片",
    "classify.camera_photo": "相机照片",
    "classify.random_photo": "随机测试照片",
    "classify.random_photo_help": "一张模型训练时没见过的照片（来自测试集，没有测试集时来自验证集），附带真实标签",
    "classify.upload_refused": "未接收：服务器一次最多为每位访客保存 {files} 张照片、共 {megabytes} MB 的上传",
    "classify.unreadable": "{reason}。",
    "classify.refused": "未添加：每位访客一次最多保留 {count} 张照片。删掉一些才能再添加。",
    "classify.remove_all": "删除全部照片",
    "classify.model_loading": "正在加载模型……准备好后，判断结果会马上出现在这里（几秒钟）。",
    "classify.busy": "服务器太忙，没能及时回答。你的照片还在：页面刷新时会再试一次。",
    "classify.start": "上传一张（或几张）照片开始吧。",
    "classify.remove_photo": "删除这张照片",
    "classify.photo_of": "第 {number} 张，共 {count} 张",
    "classify.previous_photo": "上一张照片",
    "classify.next_photo": "下一张照片",
    "classify.your_photo": "你的照片（已摆正）：{width} × {height} 像素",
    "classify.where_it_looked": "模型看了哪里：红色部分对判断最重要",
    "classify.true_label_right": "真实标签：**{label}**（✅ 正确）",
    "classify.true_label_wrong": "真实标签：**{label}**（❌ 错误）",
    "classify.model_sees": "模型看到的画面：{size} × {size} 像素，已放大",
    "classify.classified_in": "识别用时 {ms} 毫秒",
    "classify.look_inside": "看看模型内部",
    "classify.look_inside_help": "各层看到了什么，以及数据增强",
    "classify.layer": "卷积层，从第一层到最后一层",
    "classify.channels": "{layer}：共 {channels} 个通道，显示其中 {shown} 个，每个 {width} × {height}（白色：响应强）",
    "classify.augmentation": "**数据增强眼中的这张照片**：训练时，模型每一轮都会看到它的一个新变体",
    "classify.other_models": "**其他模型怎么说**",
    "classify.compare_all": "比较所有模型",
    "classify.compare_all_help": "并排显示每个模型对每张照片的判断",
    "classify.heatmaps": "模型看了哪里",
    "classify.heatmaps_help": "在每张照片上叠加 Grad-CAM 热力图：对判断最重要的部分",
    "classify.left_out": "“{name}”未参与比较：{reason}。",
    "classify.table.file": "文件",
    "classify.table.verdict": "判断",
    "classify.table.dog_probability": "狗的概率",
    "classify.table.true_label": "真实标签",
    "classify.table.time": "用时（毫秒）",
    "classify.table.model": "模型",
    "classify.table.probability": "狗的概率（0 到 1）",
    "classify.download_csv": "下载 CSV",
    "classify.how_title": "这是怎么做到的？",
    "classify.how": """
一个**卷积神经网络**（简称 *convnet*）看过成千上万张标注好的猫狗照片，逐层学会了哪些图案能区分它们：
先是边缘，然后是毛发之类的纹理，再是耳朵、口鼻之类的形状。

1. 你的照片先被摆正，再被**压缩成 {size} 像素**：这个小方块（上面放大显示）就是模型能看到的全部。
2. 像素依次流过卷积网络的各层，最后得到一个 0 到 1 之间的数：**狗的概率**。
3. 高于 50% 判为*狗*，低于 50% 判为*猫*。接近 50% 时模型拿不准，我们会如实说明。

这个概率表示模型有多大把握，并不是保证：只用宠物照片训练的模型从没见过狐狸、图画或穿着狗狗服装的猫，
但它仍然只会回答猫或狗。
""",
    "classify.how_neither": """
**为什么卷积网络自己说不出“都不是”。** 一个猫狗模型只有两个答案：它的最后一步把看到的任何东西都变成
一个“是狗”的概率，剩下的就算“猫”，所以一张汽车或蛋糕的照片也必须在两者之间分配。它学习时从没见过汽车，
也就没有任何东西教它对汽车拿不准。为了发现这样的照片，我们换一个问题：它像不像训练时见过的任何照片？
预训练网络用 1,280 个数描述每张照片；如果在它被判成的那种动物的训练照片（以及这些照片的各种变化版本：
转过的、暗的、偏色的、模糊的，就像手机拍宠物那样）里，连最相似的 10 张都离它很远，我们就说
“这看起来既不是猫也不是狗”。它被设定为大约每 200 张真实的宠物照片里误判 1 张，而且也会被骗：
大房间里的一只小宠物可能被误判，一幅狗的图画或一座房子也可能蒙混过关。
""",
    "classify.neither": "这看起来既不是猫也不是狗",
    "classify.neither_model_says": "只认识猫和狗的模型仍然会说：{verdict}。",
    "classify.table.neither": "都不是？（模型：{verdict}）",
    "classify.table.neither_column": "既不是猫也不是狗",
    # --- Evaluate page ---
    "evaluate.title": "评估模型",
    "evaluate.intro": (
        "用模型没有训练过的带标签照片给它打分：它有多常判断正确、犯了哪些错误、当时有多大把握。"
        "移动阈值，看看错误如何此消彼长。"
    ),
    "evaluate.no_dataset": (
        "这台服务器上还没有数据集，所以没有可以给模型打分的带标签照片。服务器管理员可以运行 "
        "`python -m catdog download`（或用 `python -m catdog import PATH` 导入自己的照片），"
        "或者把 `CATDOG_DATA_DIR` 指向一个包含 `train/`、`validation/` 和 `test/` 的文件夹，"
        "每个里面都有 `cats/` 和 `dogs/`。“训练”页也可以下载一个数据集。"
    ),
    "evaluate.photos": "照片",
    "evaluate.split_count": "{split}（{count}）",
    "evaluate.photos_help": (
        "只有测试集照片能给出公正的分数：模型是从训练集照片中学习的，而最佳轮次是在验证集照片上挑出来的。"
    ),
    "evaluate.compare_with": "对比模型",
    "evaluate.no_other_model": "不对比",
    "evaluate.compare_with_help": "用同样的照片给第二个模型打分并并排显示：从零训练对比预训练。",
    "evaluate.cannot_compare": "“{name}”无法参与对比：{reason}。",
    "evaluate.evaluate": "评估",
    "evaluate.classifying": "正在用“{name}”识别这 {count} 张照片…",
    "evaluate.classifying_progress": "正在用“{name}”识别：{done} / {total} 张照片",
    "evaluate.waiting": "“{name}”正在等待另一位访客的评估：服务器一次只评估一个，每个只评估一次。",
    "evaluate.awaited_failed": "本页等待的“{name}”评估失败了。请点击**评估**重试。",
    "evaluate.press_evaluate": "点击**评估**，用“{name}”识别{split}的 {count} 张照片。",
    "evaluate.press_evaluate_two": "点击**评估**，用“{name}”和“{other}”识别{split}的 {count} 张照片。",
    "evaluate.accuracy": "准确率",
    "evaluate.accuracy_help": (
        "在当前阈值下判断正确的照片所占比例，以及真实准确率有 95% 把握落在其中的范围（Wilson 区间）："
        "几百张照片能确定的精度有限。"
    ),
    "evaluate.right_of": "{n} 张中对了 {right} 张 · 95% 区间 {low} 到 {high}",
    "evaluate.auc_help": (
        "ROC 曲线下的面积：随机取一只狗和一只猫，狗得到更高“狗的概率”的机会。1 表示排序完美，0.5 等于抛硬币。"
        "它与阈值无关。"
    ),
    "evaluate.one_mistake": "当前阈值下有 {count} 个错误",
    "evaluate.mistakes": "当前阈值下有 {count} 个错误",
    "evaluate.roc_needs_both": "ROC 曲线需要两个类别的照片。",
    "evaluate.roc_explained": """
**ROC 曲线**一次展示所有阈值。把阈值从 100% 往下调，会有更多照片被判为*狗*：
抓到的真狗更多（向上），但被当成狗的猫也更多（向右）。圆点就是上面选定的阈值。

完美的模型先笔直向上，再横向到头：它把每只狗都排在每只猫前面。瞎猜的模型沿着虚线对角线走。
曲线下的面积（AUC）用一个数概括这一切。
""",
    "evaluate.look_at_photos": "看看这些照片",
    "evaluate.photos_as_seen_by": "按哪个模型的结果看照片",
    "evaluate.cell": "混淆矩阵的格子",
    "evaluate.cell.cats_said_cat": "猫判为猫（{count}）",
    "evaluate.cell.cats_said_dog": "猫判为狗（{count}）",
    "evaluate.cell.dogs_said_cat": "狗判为猫（{count}）",
    "evaluate.cell.dogs_said_dog": "狗判为狗（{count}）",
    "evaluate.empty_cell": "当前阈值下这个格子里没有照片。",
    "evaluate.furthest_first": "离真实标签最远的排在前面。",
    "evaluate.furthest_first_of": "离真实标签最远的排在前面：共 {count} 张，显示前 {shown} 张。",
    "evaluate.mistakes_and_close_calls": "错误与险些出错",
    "evaluate.grad_cam": "显示模型看了哪里（Grad-CAM）",
    "evaluate.grad_cam_help": "红色：把模型推向它的答案的部分；蓝色：没有起作用的部分。",
    "evaluate.most_confident_mistakes": "**最有把握的错误**",
    "evaluate.no_mistakes": "当前阈值下没有错误。",
    "evaluate.least_certain": "**最拿不准的照片**：最接近阈值的那些",
    "evaluate.working_out": "正在计算模型看了哪里…",
    "evaluate.gallery.cat": "{name}：一只猫，是狗的概率 {percent}",
    "evaluate.gallery.dog": "{name}：一只狗，是狗的概率 {percent}",
    "evaluate.download_csv": "把每张照片的结果下载为 CSV",
    "evaluate.left_out": "以下文件无法作为照片读取，已略过：{names}。",
    "evaluate.none_readable": "这些照片都无法读取，没有可以打分的内容。",
    "evaluate.threshold": "阈值：狗的概率达到或高于它就判为狗",
    "evaluate.threshold_help": "应用从 {threshold} 起判为狗。移动它，看“猫判为狗”和“狗判为猫”如何此消彼长。",
    # --- Lesson page (and catdog.lesson's steps and teacher's notes) ---
    "lesson.title": "三次训练上完一节课",
    "lesson.intro": (
        "一节 45 分钟的课，讲过拟合和迁移学习：在同样的 100 张猫和 100 张狗的照片上真正训练三次。"
        "先从零训练一个小卷积网络，再加上数据增强训练一次，最后用一个在 ImageNet 上预训练过的网络。"
        "全班看着每次训练的曲线一点点画出来，然后在一张图上比较这三次训练，再看每个模型在同学们自己的照片里看向哪里。"
        "在双核笔记本电脑上，三次训练一共约需 4 分钟（电脑同时忙别的事时会更久）；"
        "其余时间留给下面的讲解要点和同学们的提问。"
    ),
    "lesson.locked": "这台服务器的训练功能设有密码：请先在训练页面解锁，再回来运行各个步骤。",
    "lesson.unlock": "到训练页面解锁训练",
    "lesson.no_dataset": (
        "这节课要在常规大小的数据集（2,000 张训练照片、1,000 张验证照片）上训练，而这台服务器上还没有数据集。"
    ),
    "lesson.get_dataset": "到训练页面获取数据集",
    "lesson.smaller_dataset": (
        "这个数据集比讲义假设的小：每一步每类用 {per_class} 张照片训练，而不是 100 张；"
        "并在 {validation} 张验证照片上评估，而不是 1,000 张。"
    ),
    "lesson.busy": "“{title}”正在训练：等它结束后才能开始下一步。",
    "lesson.notes": "教师讲解要点",
    "lesson.notes_before": "按下运行之前：",
    "lesson.notes_during": "训练进行时：",
    "lesson.notes_after": "训练结束后：",
    "lesson.not_run": "还没有在这个数据集上运行过。",
    "lesson.run": "运行第 {number} 步",
    "lesson.run_again": "再次运行第 {number} 步",
    "lesson.train_accuracy": "训练准确率",
    "lesson.validation_accuracy": "验证准确率",
    "lesson.gap": "差距（百分点）",
    "lesson.compare_title": "三次训练画在一张图上",
    "lesson.compare_empty": "每一步训练结束后，它的曲线就会出现在这里。",
    "lesson.photo_title": "一张来自同学们的照片",
    "lesson.photo_intro": (
        "上传一张同学们拍的照片，或者用识别页面里保留的照片：每个训练好的模型都会给出判断，并显示它看向哪里。"
    ),
    "lesson.uploader": "一张猫或狗的照片",
    "lesson.which_photo": "照片",
    "lesson.no_photo": "还没有照片。",
    "lesson.no_models": "先运行上面的一个步骤：它的模型的判断和热力图会出现在这里。",
    "lesson.model_unusable": "这一步的模型无法使用：{reason}。请重新运行这一步。",
    "lesson.overfit.title": "1 · 每类 100 张照片",
    "lesson.overfit.before": (
        "我们只用 100 张猫和 100 张狗的照片，从零训练一个小卷积网络。"
        "照片这么少，网络可能把每一张都背下来，而不是学会猫长什么样。"
        "请同学们猜一猜：它在 1,000 张从没见过的照片上的准确率会是多少？"
    ),
    "lesson.overfit.during": (
        "虚线是训练照片上的准确率，实线是它从不拿来训练的验证照片上的准确率。"
        "训练曲线一路逼近 100%，验证曲线却停在 70% 左右：这个差距就是过拟合。"
        "问问大家：它看的是动物，还是背景？课的最后用同学们的照片来揭晓。"
    ),
    "lesson.overfit.after": (
        "问问大家：为什么它在自己的照片上几乎全对，在新照片上却差这么多？"
        "它背下了这 200 张照片，却没有学会分辨猫和狗。"
        "不去拍新照片，怎样才能让它看到更多的照片？"
    ),
    "lesson.augment.title": "2 · 同样的训练，加上数据增强",
    "lesson.augment.before": (
        "同样的网络，同样的 200 张照片，只改一处：每次给网络看一张照片时，都随机翻转、旋转、缩放、平移，并改变对比度。"
        "稍微转了一点的猫还是猫。"
        "请大家猜猜两条曲线之间的差距会怎样变化。"
    ),
    "lesson.augment.during": (
        "训练准确率涨得更慢了：每一轮看到的照片，都是它没见过的样子。和第 1 步比一比：虚线和实线靠得近多了。"
    ),
    "lesson.augment.after": (
        "差距缩小了，但验证准确率几乎没有提高：数据增强能阻止死记硬背，却变不出 200 张照片里没有的东西。"
        "问问大家：网络还能从哪里获得更多关于照片的知识？"
    ),
    "lesson.pretrained.title": "3 · 预训练的骨干网络",
    "lesson.pretrained.before": (
        "现在我们从 MobileNetV2 出发，它在 ImageNet 上看过 140 万张照片，认识 1,000 类物体。"
        "我们把它冻结，只在同样的 200 张照片上训练一个新的最后一层。"
        "请大家预测它的准确率。"
    ),
    "lesson.pretrained.during": (
        "首先，骨干网络把每张照片变成它在 ImageNet 上学到的 1,280 个数：这是最慢的部分。"
        "之后每一轮不到一秒，几轮之内验证准确率就超过 95%。"
    ),
    "lesson.pretrained.after": (
        "同样的 200 张照片，准确率从 70% 左右升到了 97% 左右：骨干网络早就认识边缘、毛发、眼睛和耳朵。"
        "这就是迁移学习，大多数图像模型都是这样做出来的。"
        "在下面上传一张照片，比较三个模型各自看向哪里。"
    ),
    # --- Train page ---
    "train.title": "训练卷积网络",
    "train.intro": (
        "一边训练模型，一边让全班看曲线。从零训练时选择每类 100 张照片，看训练曲线把验证曲线远远甩在后面："
        "这个差距就是过拟合。然后打开数据增强再训练一次，在下面比较这两次训练。"
        "从预训练的骨干网络出发，看看 ImageNet 学到的特征用同样的照片能走多远。"
    ),
    "train.off": "这台服务器关闭了训练功能（托管的演示版）。请在自己的电脑上运行本应用来训练。",
    "train.too_many_tries": "这台服务器上的密码错误次数太多。请 {seconds} 秒后再试。",
    "train.password_wait": "刚输错过密码，请 {seconds} 秒后再试。",
    "train.password": "在这台服务器上训练需要密码",
    "train.wrong_password": "密码不正确。",
    "train.no_dataset": (
        "这台服务器上还没有数据集。服务器管理员可以运行 `python -m catdog download`"
        "（或用 `python -m catdog import PATH` 导入自己的照片），或者把 `CATDOG_DATA_DIR` 指向一个包含 "
        "`train/` 和 `validation/` 的文件夹，每个里面都有 `cats/` 和 `dogs/`。"
    ),
    "train.download": "下载 3,000 张猫狗照片（{megabytes} MB）",
    "train.connecting": "正在连接…",
    "train.downloading": "正在下载：{done} / {total} MB",
    "train.download_failed": "下载失败：{reason}。",
    "train.the_data_folder": "数据文件夹",
    "train.start_from": "起点",
    "train.start_scratch": "从零训练（书中的卷积网络）",
    "train.start_pretrained": "预训练 {backbone}（ImageNet）",
    "train.start_from_help": "预训练的骨干网络已经认识 ImageNet 的照片：只需要一个新的输出头和一小段微调。",
    "train.per_class": "每类训练照片数",
    "train.fewer_photos": "这个数据集中有一类只有 {have} 张训练照片：这次训练每类用 {have} 张，而不是 {asked} 张。",
    "train.small_data": "{count}（小数据：观察过拟合）",
    "train.all_photos": "全部",
    "train.epochs": "训练轮数",
    "train.augmentation": "数据增强",
    "train.augmentation_help": (
        "对每张训练照片随机翻转、旋转、缩放、平移并改变对比度。预训练模型使用数据增强时，还要为每张照片的一个增强版本计算特征：更慢，在共享照片上也没有更准。"
    ),
    "train.learning_rate": "学习率",
    "train.advanced": "高级选项",
    "train.fine_tune_epochs": "微调轮数（最后几轮）",
    "train.image_size": "图像尺寸（像素）",
    "train.width": "第一层的滤波器数",
    "train.batch_size": "批大小",
    "train.run_name": "训练名称",
    "train.run": "训练“{title}”",
    "train.run_failed": "训练“{title}”失败：{reason}",
    "train.run_ended_early": "训练“{title}”在第一轮结束前{status}，什么也没学到。",
    "train.status": "状态",
    "train.stopping": "正在停止…",
    "train.best_validation_accuracy": "最佳验证准确率",
    "train.time": "用时",
    "train.seconds": "{seconds} 秒",
    "train.only_starter_stops": "只有发起这次训练的访客才能停止它。",
    "train.stop": "这一批结束后停止",
    "train.watched_photo_gone": "这次训练中观察的验证照片已不在数据集里。",
    "train.looks_after_epoch": "第 {epoch} 轮后模型看向哪里",
    "train.epoch": "第 {epoch} 轮",
    "train.looks_explained": (
        "同一张验证照片（模型眼中的样子）在每一轮之后的热力图：红色是判断依据所在，蓝色是没有依据的地方。"
        "学会了的模型会把注意力移到动物身上；死记硬背训练照片的模型可能会停在背景上。"
    ),
    "train.progress.starting": "正在启动训练进程…",
    "train.progress.weights": "正在下载骨干网络的 ImageNet 权重（仅第一次）…",
    "train.progress.decoding": "正在解码照片：{done} / {total}…",
    "train.progress.features": "正在计算每张照片的骨干网络特征（只算一次）：{done} / {total}…",
    "train.progress.stopping": "第 {epoch}/{epochs} 轮 · 这一批结束后停止…",
    "train.progress.first_batch": "第 1/{epochs} 轮 · 第一批（TensorFlow 先构建模型的计算图）…",
    "train.progress.batch": "第 {epoch}/{epochs} 轮 · 第 {batch}/{batches} 批",
    "train.progress.batch_left": "第 {epoch}/{epochs} 轮 · 第 {batch}/{batches} 批 · 大约还剩 {seconds} 秒",
    "train.phase_now": "当前：{phase}。",
    "train.phase_time": "{phase} {seconds} 秒",
    "train.phase_times": "各阶段用时：{times}。",
    "phase.decoding": "解码照片",
    "phase.features": "计算骨干网络的特征",
    "phase.head": "训练分类头",
    "phase.fine_tune": "微调",
    "phase.training": "训练",
    "phase.test": "给测试照片打分",
    "phase.saving": "保存模型",
    "train.use_model": "用“{title}”来识别",
    "train.past_runs": "以往的训练",
    "train.runs.name": "名称",
    "train.runs.date": "日期",
    "train.runs.started_from": "起点",
    "train.runs.augmentation": "数据增强",
    "train.runs.precision": "精度",
    "train.runs.photos_per_class": "每类照片数",
    "train.runs.epochs": "轮数",
    "train.runs.best_accuracy": "最佳验证准确率",
    "train.runs.time": "用时",
    "train.runs.seconds_format": "%d 秒",
    "train.runs.status": "状态",
    "train.runs.why": "失败原因",
    "train.on": "开",
    "train.off_short": "关",
    "train.guessing": "{state} · 在瞎猜：需要训练更久",
    "status.preparing": "准备中",
    "status.training": "训练中",
    "status.finished": "已完成",
    "status.stopped": "已停止",
    "status.failed": "失败",
    "status.interrupted": "已中断",
    "train.compare_runs": "在一张图上比较几次训练",
    "train.delete_run": "删除一次训练及其模型",
    "train.delete": "删除…",
    "train.delete_for_good": "要永久删除“{title}”及其模型吗？",
    "train.delete_yes": "是的，删除",
    "train.delete_cancel": "取消",
    "train.new_run": "新的训练",
    "train.start": "开始训练",
    "train.one_run_at_a_time": "一次只能进行一次训练：{reason}",
    # --- errors a person can cause, raised by the library (catdog.i18n.TranslatedError) ---
    "photo.empty": "文件是空的",
    "photo.too_many_pixels": "图像太大（{width}×{height} 像素，超过 {most} 百万像素）",
    "photo.too_large": "图像太大，无法安全打开",
    "photo.not_an_image": "这不是我们能读取的图像",
    "photo.wrong_format": "这是 {format} 文件，不是 JPEG、PNG、WebP、BMP 或 GIF 照片",
    "photo.too_much_memory": (
        "图像太大，无法打开：{width}×{height} 像素需要 {needed} MB 内存，而一张照片最多只能用 {most} MB"
        "（同一张照片存成 JPEG 就能打开）"
    ),
    "photo.metadata_too_large": "图像里夹带的隐藏文字（元数据）太多，无法安全打开",
    "photo.damaged": "图像数据已损坏或不完整",
    "photo.missing": "文件不存在",
    "photo.folder": "这是一个文件夹，不是照片",
    "photo.unreadable": "无法读取这个文件",
    "weights.unavailable": "无法下载 {backbone} 的 ImageNet 权重：请把 {file} 放进 {folder}（或联网一次），然后重试",
    "dataset_error.not_a_folder": "{folder} 不是文件夹",
    "dataset_error.no_layout": (
        "{folder} 中既没有 `train/cats` 和 `train/dogs` 文件夹，也没有名为 `cat.N.jpg` / `dog.N.jpg` 的照片"
    ),
    "dataset_error.no_photos": "{folder} 的{split}中没有{animals}的照片",
    "dataset_error.cat_or_dog": "猫或狗",
    "dataset_error.too_few": "{folder} 的{split}中可读的照片太少，不是每一类都有",
    "dataset_error.too_few_to_learn": (
        "{folder} 的训练集中只有 {cats} 张猫和 {dogs} 张狗的照片；训练需要每一类至少 {minimum} 张可读的照片"
    ),
    "fetch.not_web_address": "{url} 不是网址：必须以 `http://` 或 `https://` 开头",
    "fetch.no_splits": "来自 {url} 的 {file} 中没有存放猫狗照片的 `train/` 和 `validation/` 文件夹",
    "fetch.source_missing": "{source} 不存在",
    "fetch.no_readable": "{source} 中没有可读的{animal}的照片",
    "fetch.not_zip": "{archive} 不是 ZIP 压缩包，或者已损坏",
    "fetch.compression": "{archive} 使用了 Python 无法解压的压缩方式：请用系统自带的工具解压，再导入解压出的文件夹",
    "fetch.twice": "{archive} 被拒绝：其中 {entry} 出现了两次",
    "fetch.outside": "{archive} 被拒绝：其中的条目 {entry} 会被解压到目标文件夹之外",
    "fetch.link": "{archive} 被拒绝：其中的条目 {entry} 是符号链接",
    "fetch.special": "{archive} 被拒绝：其中的条目 {entry} 不是普通文件或文件夹",
    "fetch.encrypted": "{archive} 被拒绝：其中的条目 {entry} 已加密",
    "fetch.too_many_files": "{archive} 被拒绝：其中有 {files} 个文件，超过了上限 {most} 个",
    "fetch.too_big": "{archive} 被拒绝：解压后有 {size}，超过了上限 {most}",
    "fetch.http": "{url} 返回了 {code}：请检查地址，或手动下载 {url} 后运行 `python -m catdog import {file}`",
    "fetch.unreachable": "无法连接 {host}：请检查网络连接，或手动下载 {url} 后运行 `python -m catdog import {file}`",
    "fetch.size_changed": (
        "{url} 提供的文件有 {offered} 字节，但 {file} 公布的大小是 {size} 字节：文件已变动或地址有误，所以没有下载"
    ),
    "fetch.broke_off": "从 {host} 下载了 {done} 后中断了：请重试",
    "fetch.cut_short": "从 {host} 下载了 {done} / {total} 字节后中断了：请重试",
    "fetch.wrong_size": "{file} 下载到的是 {done} 字节，而不是公布的 {size} 字节：没有保留任何文件",
    "fetch.wrong_hash": "{file} 的 SHA-256 是 {actual}，而不是预期的 {expected}：没有保留任何文件",
    "fetch.no_layout": (
        "{source} 中既没有 `train/cats` 和 `train/dogs` 文件夹，也没有 `Cat/` 和 `Dog/` 文件夹，"
        "也没有名为 `cat.N.jpg` / `dog.N.jpg` 的照片"
    ),
    "fetch.bad_name": "{name} 不能用作数据集的名称：请用普通的文件夹名，例如 `my_pets`",
    "fetch.exists": "{target} 已存在：请换一个名称，或先删除它",
    "fetch.disk_full": "磁盘已满（{file}）：请腾出一些空间后重试",
    "fetch.file_error": "无法读写 {file}",
    "fetch.io_error": "无法读写某个文件",
    "fetch.no_space": "{folder} 的可用空间不足：需要 {needed}，只有 {free}",
    "busy.training": "“{title}”仍在训练（已完成 {progress}）；请停止它或等它结束。",
    "busy.other_process": "另一个训练进程仍在这个模型文件夹中运行；请等它结束。",
    # --- why a run failed (catdog.runs.RunRecord.failure), written by the training process ---
    "run_failed.out_of_memory": "服务器内存不足。请减少每类的照片数、缩小图像尺寸或减小批大小。",
    "run_failed.could_not_start": "训练无法开始：{reason}。",
    "run_failed.crash": "训练失败：{error}",
    "run_failed.tensorflow": (
        "TensorFlow 无法完成一步训练（{kind}）。请减少每类的照片数、缩小图像尺寸或减小批大小后重试。"
    ),
    "run_failed.busy": "另一个训练进程已在这个模型文件夹中运行。",
    "run_failed.killed": "训练进程被信号 {signal} 终止了。",
    "run_failed.killed_oom": "训练进程被信号 {signal} 终止了（系统在内存耗尽时会发送这个信号）。",
    "run_failed.ended": "训练进程意外结束（退出码 {code}）。",
    "run_failed.as_recorded": "{reason}",  # 早期记录只保存了英文原句
    # --- the command line's lines for people (catdog.cli; its --json stays English) ---
    "cli.no_model": "错误：{model} 处没有模型",
    "cli.error": "错误：{reason}",
    "cli.photo_error": "{path}：错误：{reason}",
    "cli.prediction": "{path}：{label}（是狗的概率 {percent}）",
    "cli.prediction_neither": "{path}：看起来既不是猫也不是狗（只看模型会说：{label}，是狗的概率 {percent}）",
    "cli.not_a_folder": "错误：{folder} 不是文件夹",
    "cli.neither_needs_backbone": "错误：{model} 没有预训练的骨干网络，而这项检查要用它的特征",
    "cli.neither_saved": "{out}：{photos} 张训练照片，阈值 {threshold}（会标记 {percent} 的验证照片及其变化版本）",
    "cli.neither_test": "被标记为既不是猫也不是狗的测试照片：{photos} 张中的 {percent}",
    "cli.explained": "{path}：{label}（是狗的概率 {percent}）；热力图在 {image}",
    "cli.explained_neither": (
        "{path}：看起来既不是猫也不是狗（只看模型会说：{label}，是狗的概率 {percent}）；热力图在 {image}"
    ),
    "cli.explain_tflite": "错误：`explain` 需要 `.keras` 模型：TensorFlow Lite 文件不保留梯度",
    "cli.cannot_make_folder": "错误：无法创建文件夹 {folder}（{reason}）",
    "cli.pretrained_size": "错误：预训练骨干网络只接受 {side} × {side} 的照片，而不是 `--image-size {size}`",
    "cli.fine_tune_too_long": "错误：`--fine-tune-epochs {fine_tune}` 超过了 `--epochs {epochs}`",
    "cli.skipped": "已跳过 {path}：{reason}",
    "cli.trained": "最佳验证准确率 {validation}（第 {epoch} 轮），测试准确率 {test}，用时 {seconds} 秒",
    "cli.trained_without_test": (
        "最佳验证准确率 {validation}（第 {epoch} 轮），用时 {seconds} 秒（没有测试集，因此没有测试准确率）"
    ),
    "cli.phase_begins": "▸ {phase}…",
    "cli.phase_times": "各阶段用时：{times}",
    "cli.saved_model": "已保存 {model} 和 {record}",
    "cli.export_wrong_suffix": "错误：--format {format} 写出的是 {suffix} 文件，而不是 {file}",
    "cli.export_quantize_keras": "错误：--quantize {quantize} 只用于 --format tflite；.keras 文件就是模型原样",
    "cli.cannot_write": "错误：无法写入 {file}（{reason}）",
    "cli.exported": "已保存 {file}（{megabytes} MB，{seconds} 秒）",
    "cli.try_exported": "试一试：python -m catdog predict --model {file} PHOTO",
    "cli.bfloat16_unavailable": "这台计算机无法运行 bfloat16：已改用 float32 训练",
    "cli.no_readable_photos": "错误：{folder}/cats 和 {folder}/dogs 中没有可读的照片",
    "cli.accuracy": "在 {n} 张照片上的准确率为 {accuracy}（用时 {seconds} 秒）",
    "cli.said_cat": "判为猫",
    "cli.said_dog": "判为狗",
    "cli.cats": "猫",
    "cli.dogs": "狗",
    "cli.unreadable": "无法读取：{count}",
    "cli.downloading": "正在下载 {url}",
    "cli.saved": "已保存 {folder}",
    "cli.downloading_weights": "正在下载 {backbone} 的 ImageNet 权重",
    "cli.weights_in_cache": "{backbone}：ImageNet 权重在 {file}",
    "cli.interrupted": "已中断，没有保留任何文件",
    "cli.imported": "已从 {source}（{layout}）导入 {total} 张照片到 {dataset}",
    "cli.skipped_one": "跳过了 1 个文件：",
    "cli.skipped_many": "跳过了 {count} 个文件：",
    "cli.counts": "  {split}：猫 {cats} 张，狗 {dogs} 张",
    "cli.amount_of": "{done} / {total} {unit}",
    "cli.megabytes": "MB",
    "cli.files_checked": "个文件已检查",
}
