CREATE FUNCTION quiz_card_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    delta_cards integer := 0;
    delta_unseen integer := 0;
    card_id varchar;
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta_cards := 1;
        delta_unseen := (NEW.last_review IS NULL AND NOT NEW.suspended)::integer;
        card_id := NEW.question_id;
    ELSIF TG_OP = 'DELETE' THEN
        delta_cards := -1;
        delta_unseen := -((OLD.last_review IS NULL AND NOT OLD.suspended)::integer);
        card_id := OLD.question_id;
    ELSE
        delta_unseen := (NEW.last_review IS NULL AND NOT NEW.suspended)::integer
                        - (OLD.last_review IS NULL AND NOT OLD.suspended)::integer;
        card_id := NEW.question_id;
    END IF;
    IF delta_cards <> 0 OR delta_unseen <> 0 THEN
        UPDATE deck_totals t SET cards = t.cards + delta_cards, unseen = t.unseen + delta_unseen
        FROM questions q
        WHERE q.id = card_id AND q.retired_at IS NULL AND t.deck = q.deck AND t.kind = q.kind;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION quiz_card_copy() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    SELECT q.deck, q.retired_at IS NULL INTO NEW.deck, NEW.live
    FROM questions q WHERE q.id = NEW.question_id;
    IF NOT FOUND THEN
        NEW.deck := '';
        NEW.live := false;
    END IF;
    RETURN NEW;
END $$;
CREATE FUNCTION quiz_deck_share(p_id character varying, p_deck character varying, p_kind character varying, p_sign integer) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO deck_totals AS t (deck, kind, questions, cards, unseen)
    SELECT p_deck, p_kind, p_sign, p_sign * count(*),
           p_sign * count(*) FILTER (WHERE (c.last_review IS NULL AND NOT c.suspended))
    FROM cards c WHERE c.question_id = p_id
    ON CONFLICT (deck, kind) DO UPDATE SET questions = t.questions + excluded.questions,
        cards = t.cards + excluded.cards, unseen = t.unseen + excluded.unseen;
END $$;
CREATE FUNCTION quiz_question_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.deck IS NOT DISTINCT FROM NEW.deck
            AND OLD.kind IS NOT DISTINCT FROM NEW.kind
            AND (OLD.retired_at IS NULL) = (NEW.retired_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.retired_at IS NULL THEN
        PERFORM quiz_deck_share(OLD.id, OLD.deck, OLD.kind, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.retired_at IS NULL THEN
            PERFORM quiz_deck_share(NEW.id, NEW.deck, NEW.kind, 1);
        END IF;
        UPDATE cards SET deck = NEW.deck, live = (NEW.retired_at IS NULL)
        WHERE question_id = NEW.id
          AND (deck IS DISTINCT FROM NEW.deck OR live IS DISTINCT FROM (NEW.retired_at IS NULL));
    END IF;
    IF TG_OP = 'UPDATE' THEN
        UPDATE card_review_totals SET deck = NEW.deck
        WHERE question_id = NEW.id AND deck IS DISTINCT FROM NEW.deck;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION quiz_review_logged() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH changes AS (
        SELECT r.question_id, r.reviewed_at, r.kind, r.rating, r.state_before, 1 AS sign
        FROM inserted r WHERE r.kind IN ('review', 'cram')
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id AND u.kind = 'undo')
        UNION ALL
        SELECT t.question_id, t.reviewed_at, t.kind, t.rating, t.state_before, -1
        FROM reviews t WHERE t.kind IN ('review', 'cram')
        AND t.id IN (SELECT n.undoes FROM inserted n WHERE n.kind = 'undo')
        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = t.id)
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = t.id AND u.kind = 'undo'
                        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = u.id))), per_card AS (
        SELECT c.question_id, sum(c.sign) AS ratings,
               sum(c.sign * COALESCE(c.rating > 1, false)::integer) AS recalled,
               sum(c.sign * (c.kind = 'review' AND c.state_before IS NOT DISTINCT FROM 2)::integer) AS graded,
               sum(c.sign * ((c.kind = 'review' AND c.state_before IS NOT DISTINCT FROM 2) AND COALESCE(c.rating > 1, false))::integer) AS graded_recalled,
               min(c.reviewed_at) FILTER (WHERE c.sign = 1 AND c.kind = 'review') AS first_review,
               max(c.reviewed_at) FILTER (WHERE c.sign = 1) AS last_rating
        FROM changes c GROUP BY c.question_id)
    INSERT INTO card_review_totals AS t (question_id, ratings, recalled, graded,
                                         graded_recalled, first_review, last_rating, deck)
    SELECT p.question_id, p.ratings, p.recalled, p.graded, p.graded_recalled, p.first_review,
           p.last_rating, COALESCE((SELECT q.deck FROM questions q WHERE q.id = p.question_id), '')
    FROM per_card p
    ON CONFLICT (question_id) DO UPDATE SET
        deck = excluded.deck,
        ratings = t.ratings + excluded.ratings, recalled = t.recalled + excluded.recalled,
        graded = t.graded + excluded.graded,
        graded_recalled = t.graded_recalled + excluded.graded_recalled,
        first_review = LEAST(t.first_review, excluded.first_review),
        last_rating = GREATEST(t.last_rating, excluded.last_rating);
    IF EXISTS (SELECT 1 FROM inserted WHERE kind = 'undo') THEN
        -- A card with a rating taken back: its first and latest counted ones, from the log.
        WITH changes AS (
        SELECT r.question_id, r.reviewed_at, r.kind, r.rating, r.state_before, 1 AS sign
        FROM inserted r WHERE r.kind IN ('review', 'cram')
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id AND u.kind = 'undo')
        UNION ALL
        SELECT t.question_id, t.reviewed_at, t.kind, t.rating, t.state_before, -1
        FROM reviews t WHERE t.kind IN ('review', 'cram')
        AND t.id IN (SELECT n.undoes FROM inserted n WHERE n.kind = 'undo')
        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = t.id)
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = t.id AND u.kind = 'undo'
                        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = u.id)))
        UPDATE card_review_totals t SET
            first_review = (SELECT min(f.reviewed_at) FROM reviews f
                WHERE f.question_id = t.question_id AND f.kind = 'review'
                AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = f.id
                                AND u.kind = 'undo')),
            last_rating = (SELECT max(f.reviewed_at) FROM reviews f
                WHERE f.question_id = t.question_id AND f.kind IN ('review', 'cram')
                AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = f.id
                                AND u.kind = 'undo'))
        WHERE t.question_id IN (SELECT c.question_id FROM changes c WHERE c.sign = -1);
    END IF;
    WITH changes AS (
        SELECT r.question_id, r.reviewed_at, r.kind, r.rating, r.state_before, 1 AS sign
        FROM inserted r WHERE r.kind IN ('review', 'cram')
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id AND u.kind = 'undo')
        UNION ALL
        SELECT t.question_id, t.reviewed_at, t.kind, t.rating, t.state_before, -1
        FROM reviews t WHERE t.kind IN ('review', 'cram')
        AND t.id IN (SELECT n.undoes FROM inserted n WHERE n.kind = 'undo')
        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = t.id)
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = t.id AND u.kind = 'undo'
                        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = u.id)))
    INSERT INTO rating_hours AS h (hour, ratings)
    SELECT to_char(c.reviewed_at, 'YYYY-MM-DD HH24'), sum(c.sign) FROM changes c
    GROUP BY to_char(c.reviewed_at, 'YYYY-MM-DD HH24')
    ON CONFLICT (hour) DO UPDATE SET ratings = h.ratings + excluded.ratings;
    RETURN NULL;
END $$;
CREATE FUNCTION quiz_reviews_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'reviews are append-only';
END $$;
CREATE TABLE card_review_totals (
    question_id character varying(120) NOT NULL,
    ratings integer NOT NULL,
    recalled integer NOT NULL,
    graded integer NOT NULL,
    graded_recalled integer NOT NULL,
    first_review timestamp without time zone,
    last_rating timestamp without time zone,
    deck character varying(200) NOT NULL
);
CREATE TABLE cards (
    question_id character varying(120) NOT NULL,
    state integer NOT NULL,
    step integer,
    stability double precision,
    difficulty double precision,
    due timestamp without time zone NOT NULL,
    last_review timestamp without time zone,
    lapses integer NOT NULL,
    leech boolean NOT NULL,
    suspended boolean NOT NULL,
    buried_until timestamp without time zone,
    flagged boolean NOT NULL,
    new_rank integer NOT NULL,
    deck character varying(200) DEFAULT ''::character varying NOT NULL,
    live boolean DEFAULT true NOT NULL
);
CREATE TABLE deck_totals (
    deck character varying(200) NOT NULL,
    kind character varying(20) NOT NULL,
    questions integer NOT NULL,
    cards integer NOT NULL,
    unseen integer NOT NULL
);
CREATE TABLE questions (
    id character varying(120) NOT NULL,
    bank character varying(500) NOT NULL,
    title text NOT NULL,
    answer text NOT NULL,
    sources json NOT NULL,
    tags json NOT NULL,
    kind character varying(20) NOT NULL,
    origin character varying(20) NOT NULL,
    difficulty integer NOT NULL,
    topic character varying(200) NOT NULL,
    deck character varying(200) NOT NULL,
    blocks json NOT NULL,
    file character varying(500) NOT NULL,
    line integer NOT NULL,
    content_hash character varying(64) NOT NULL,
    created_at timestamp without time zone NOT NULL,
    updated_at timestamp without time zone NOT NULL,
    retired_at timestamp without time zone
);
CREATE TABLE rating_hours (
    hour character varying(13) NOT NULL,
    ratings integer NOT NULL
);
CREATE TABLE reviews (
    id integer NOT NULL,
    question_id character varying(120) NOT NULL,
    reviewed_at timestamp without time zone NOT NULL,
    rating integer NOT NULL,
    duration_ms integer,
    content_hash character varying(64) NOT NULL,
    state_after integer NOT NULL,
    stability_after double precision,
    difficulty_after double precision,
    due_after timestamp without time zone NOT NULL,
    seed integer,
    answer_text text,
    verdict character varying(40),
    kind character varying(10) NOT NULL,
    undoes integer,
    state_before integer,
    card_before json
);
CREATE SEQUENCE reviews_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE reviews_id_seq OWNED BY reviews.id;
CREATE TABLE schema_info (
    version integer NOT NULL
);
CREATE SEQUENCE schema_info_version_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE schema_info_version_seq OWNED BY schema_info.version;
CREATE TABLE settings (
    key text NOT NULL,
    value json NOT NULL
);
ALTER TABLE ONLY reviews ALTER COLUMN id SET DEFAULT nextval('reviews_id_seq'::regclass);
ALTER TABLE ONLY schema_info ALTER COLUMN version SET DEFAULT nextval('schema_info_version_seq'::regclass);
INSERT INTO card_review_totals VALUES ('num-conv-out-dilation', 1, 1, 0, 0, '2026-11-20 09:09:00', '2026-11-20 09:09:00', '数值计算');
INSERT INTO card_review_totals VALUES ('num-conv-out-square', 2, 2, 0, 0, '2026-11-20 09:00:00', '2026-11-20 09:12:00', '数值计算');
INSERT INTO card_review_totals VALUES ('num-conv-out-nonsquare', 2, 2, 0, 0, '2026-11-21 09:12:00', '2026-11-22 09:03:00', '数值计算');
INSERT INTO card_review_totals VALUES ('act-overview', 6, 4, 1, 1, '2026-11-20 09:03:00', '2026-11-22 09:09:00', '激活函数');
INSERT INTO card_review_totals VALUES ('num-conv-out-stack-shape', 4, 3, 0, 0, '2026-11-21 09:15:00', '2026-11-22 09:18:00', '数值计算');
INSERT INTO card_review_totals VALUES ('act-sigmoid-tanh', 9, 7, 0, 0, '2026-11-20 09:18:00', '2026-11-23 09:00:00', '激活函数');
INSERT INTO cards VALUES ('num-conv-out-same-valid', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 6, '数值计算', true);
INSERT INTO cards VALUES ('num-conv-flatten-len', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 7, '数值计算', true);
INSERT INTO cards VALUES ('num-conv-out-1x1-shape', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 9, '数值计算', true);
INSERT INTO cards VALUES ('num-pool-out-basic', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 10, '数值计算', true);
INSERT INTO cards VALUES ('act-relu-variants', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 11, '激活函数', true);
INSERT INTO cards VALUES ('num-pool-out-ceil', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 12, '数值计算', true);
INSERT INTO cards VALUES ('num-convt-out-basic', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 13, '数值计算', true);
INSERT INTO cards VALUES ('num-pool-out-default-stride', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 14, '数值计算', true);
INSERT INTO cards VALUES ('num-convt-out-op', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 15, '数值计算', true);
INSERT INTO cards VALUES ('act-relu-nondiff', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 16, '激活函数', true);
INSERT INTO cards VALUES ('num-convt-out-roundtrip', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, NULL, false, 17, '数值计算', true);
INSERT INTO cards VALUES ('num-conv-out-dilation', 2, NULL, 8.2956, 1, '2026-11-28 09:09:00', '2026-11-20 09:09:00', 0, false, false, NULL, false, 2, '数值计算', true);
INSERT INTO cards VALUES ('num-conv-out-square', 2, NULL, 2.3065, 2.111214235785395, '2026-11-22 09:12:00', '2026-11-20 09:12:00', 0, false, false, NULL, false, 0, '数值计算', true);
INSERT INTO cards VALUES ('num-conv-out-nonsquare', 2, NULL, 3.946054067969477, 1, '2026-11-26 09:03:00', '2026-11-22 09:03:00', 0, false, false, NULL, false, 4, '数值计算', true);
INSERT INTO cards VALUES ('num-conv-out-stack-shape', 2, NULL, 0.48892083828453853, 6.772365417380022, '2026-11-23 09:18:00', '2026-11-22 09:18:00', 0, false, false, NULL, false, 5, '数值计算', true);
INSERT INTO cards VALUES ('act-overview', 2, NULL, 0.9526547971412028, 8.89579343789738, '2026-11-23 09:09:00', '2026-11-22 09:09:00', 0, false, false, NULL, true, 1, '激活函数', true);
INSERT INTO cards VALUES ('act-sigmoid-tanh', 1, 1, 0.11772478736294154, 9.723263864757623, '2026-11-22 09:31:00', '2026-11-22 09:21:00', 0, false, true, NULL, false, 3, '激活函数', true);
INSERT INTO cards VALUES ('act-relu-why', 1, 0, NULL, NULL, '2026-11-20 09:00:00', NULL, 0, false, false, '2026-11-24 04:00:00', false, 8, '激活函数', true);
INSERT INTO deck_totals VALUES ('激活函数', 'concept', 5, 5, 3);
INSERT INTO deck_totals VALUES ('数值计算', 'numeric', 13, 13, 9);
INSERT INTO questions VALUES ('act-overview', 'fixture', '激活函数是什么？为什么需要它？', '**核心**：激活函数是接在线性变换（卷积、全连接）之后的逐元素非线性函数，是网络非线性的来源；没有它，多层线性层叠起来仍等价于一个线性变换，无法拟合复杂关系。
- 常见的有 Sigmoid、tanh（见 `act-sigmoid-tanh`）、ReLU（见 `act-relu-why`）及其变体 Leaky ReLU、PReLU、ELU、GELU、Swish（见 `act-relu-variants`），以及 Maxout。
- **Maxout**：输出 $k$ 个线性函数的最大值，可逼近任意凸函数，ReLU、Leaky ReLU 都是它的特例；代价是参数量变为 $k$ 倍。
- 选择经验：隐藏层默认用 ReLU 或其变体；输出层按任务选——二分类 Sigmoid，多分类 Softmax，回归用恒等映射。
> 勘误 004#16：原文写作"Leaky ReLU 函数（PReLU）"，把二者当作同一个函数；Leaky ReLU 负区间的斜率是固定常数，PReLU 的斜率是训练中学习的参数。另外"每层都会有一个激活函数"也不严格：回归网络的输出层、MobileNetV2 的线性瓶颈 (linear bottleneck) 投影层等都不接激活函数。', '["004#16", "003#10"]', '["激活函数"]', 'concept', 'sourced', 1, '激活函数', '激活函数', '[]', '/work/main/tests/store/data/schema2_bank/activations.md', 3, '05038aef05a025c6c8cec59027fd0806da3a71eb65bf69eb025aaa5aad9b90e2', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('act-sigmoid-tanh', 'fixture', 'Sigmoid 和 tanh 各有什么优缺点？', '**核心**：Sigmoid 输出 (0,1) 可当概率，但两端饱和、导数最大 0.25，深层易梯度消失，且输出非零中心；tanh 输出 (−1,1)、以 0 为中心、导数最大 1，收敛通常更快，但两端仍饱和。
- Sigmoid $\sigma(x)=\frac{1}{1+e^{-x}}$，导数 $\sigma(x)(1-\sigma(x)) \le 0.25$；用于二分类输出层和 LSTM 的门。
- 非零中心 (not zero-centered)：下一层神经元的输入全为正，其各个权重的梯度符号相同，更新呈"之"字形。
- tanh $\tanh(x)=2\sigma(2x)-1$；RNN/LSTM 的状态、候选记忆常用。
- 两者都含指数运算，比 ReLU 慢。', '["004#16", "003#10"]', '["激活函数"]', 'concept', 'sourced', 2, '激活函数', '激活函数', '[]', '/work/main/tests/store/data/schema2_bank/activations.md', 22, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('act-relu-why', 'fixture', '为什么神经网络中常用 ReLU 作为激活函数？它相比 Sigmoid、tanh 好在哪里，有什么局限？', '**核心**：ReLU 计算极简单；正区间导数恒为 1、不饱和，缓解了 Sigmoid/tanh 的梯度消失，收敛更快；负区间输出 0 带来稀疏激活。局限是神经元可能"死亡"，且输出非零中心、无上界。
**优点**
1. **计算量小**：前向只是一次与 0 的比较，反向导数非 0 即 1；Sigmoid/tanh 前向要算指数（和除法）；反向导数虽可由前向输出直接得到（$\sigma(1-\sigma)$、$1-\tanh^2$），仍要做乘法，比 0/1 掩码贵。
2. **缓解梯度消失**：Sigmoid 的导数最大只有 0.25，进入饱和区后接近 0，反传经过多层连乘呈指数衰减（例如 10 层各乘 0.25 就只剩约 $9.5\times 10^{-7}$）。ReLU 在 $x>0$ 时导数恒为 1，梯度穿过激活层不会被缩小。
3. **稀疏性**：输入为负的神经元输出为 0，表示稀疏，减少了神经元之间的相互依赖，有一定的防过拟合作用，也更接近生物神经元的单侧抑制。
4. **收敛快**：AlexNet 论文报告，在 CIFAR-10 上达到 25% 训练误差，ReLU 网络比 tanh 网络快约 6 倍。
**局限**
- **死亡 ReLU (dying ReLU)**：若某神经元的输入对所有样本都为负（初始化不当，或学习率过大导致一次大更新把偏置推得很负），它的梯度恒为 0，再也无法恢复。
- **非零中心**：输出 $\ge 0$，与 Sigmoid 一样会让梯度更新方向受限。
- **无上界**：激活值可能很大，通常要配合 BN 和 He (Kaiming) 初始化（按 ReLU 设计，权重方差 $2/n_{in}$）。
- 并不能彻底消除梯度消失：梯度还要连乘各层权重。
改进方向：Leaky ReLU、PReLU、ELU、GELU、Swish 等（给负区间非零梯度或改为平滑函数）。
> 勘误 004#47：原文说 ReLU 在正区间梯度为常数，"所以不会有梯度弥散现象"；说过头了。ReLU 只是消除了激活函数饱和带来的梯度衰减，反传时梯度仍要连乘各层权重，权重过小或大量神经元死亡时仍会梯度消失——ReLU 是缓解而不是杜绝梯度消失。
> 勘误 002#11：原文说 ReLU 能"避免梯度消失问题"；准确说法是缓解：它去掉了激活函数饱和这一来源，但深层网络仍可能因权重连乘或死亡神经元而梯度消失（所以还需要 BN、残差连接、合适的初始化）。', '["001#Q11", "004#25", "002#11", "004#47", "003#27"]', '["激活函数"]', 'concept', 'sourced', 1, '激活函数', '激活函数', '[]', '/work/main/tests/store/data/schema2_bank/activations.md', 40, '1249d69c969aa3f5ada673edcdc3bbffa1625b325c8132652458a2a2bc7066c5', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('act-relu-variants', 'fixture', 'ReLU 有哪些局限性？针对这些局限有哪些改进的激活函数？', '**核心**：ReLU 的问题是负区间梯度为 0 致神经元死亡，以及非零中心、无上界。改进：负区间给非零输出（Leaky ReLU、PReLU、ELU、SELU）、换平滑函数（GELU、Swish）或限上界（ReLU6）。
- **Leaky ReLU**：$x>0$ 时为 $x$，否则为 $\alpha x$，$\alpha$ 固定为小常数（如 0.01），负区间梯度不为 0，神经元不会彻底死亡。
- **PReLU (Parametric ReLU)**：形式同 Leaky ReLU，但 $\alpha$ 可学习（常按通道一个），参数量几乎不增加；He 等人 2015 年用它配合 He 初始化在 ImageNet 上首次超过人类水平。
- **RReLU (Randomized ReLU)**：训练时 $\alpha$ 从一个均匀分布中随机采样，测试时取固定的平均值，随机性带来一点正则效果。
- **ELU**：$x\le 0$ 时为 $\alpha(e^{x}-1)$。负区间平滑且输出均值更接近 0，收敛更快；负区间饱和到 $-\alpha$，对噪声更鲁棒；缺点是指数运算较慢。
- **SELU**：带固定缩放的 ELU（$\lambda\approx 1.0507,\ \alpha\approx 1.6733$），配合特定初始化时，各层激活能自动保持均值 0、方差 1（自归一化网络）。
- **ReLU6**：$\min(\max(0,x),6)$，限制上界，便于低精度/移动端量化，用于 MobileNet。
- **Softplus** $\ln(1+e^{x})$：ReLU 的平滑近似，处处可导。
- **GELU** $x\Phi(x)$、**Swish/SiLU** $x\sigma(\beta x)$、**h-swish**：平滑、非单调，在 Transformer、EfficientNet、MobileNetV3 中效果好于 ReLU。
- **Maxout**：取多个线性函数的最大值，ReLU 是它的特例，不会死亡，但参数成倍增加。
不换激活函数也能减轻死亡 ReLU：用 He 初始化，不用过大的学习率，加 BN，把偏置初始化为小的正数。', '["003#27", "002#11", "004#16"]', '["激活函数"]', 'concept', 'sourced', 2, '激活函数', '激活函数', '[]', '/work/main/tests/store/data/schema2_bank/activations.md', 73, '74da9c8e8f22826d42e3133536c3b0197a69f81506d727114c84ad29d653f0dc', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('act-relu-nondiff', 'fixture', 'ReLU 在 0 处不可导，为什么还能用于反向传播？', '**核心**：ReLU 在 0 处不可导，但它是凸函数，0 处的次梯度是 $[0,1]$ 中任一值，反向传播任取一个即可（框架取 0）；浮点输入恰为 0 的概率极低，几乎不影响训练。
- 梯度下降需要的只是每个点都给出一个更新方向。在不可导点，可以画出多条"支撑线"，其斜率构成次微分；次梯度法 (subgradient method) 用其中任意一个代替导数，在凸情形下仍能收敛。
- 实现上，PyTorch、TensorFlow 中 ReLU 的反向都是 $\frac{\partial L}{\partial x}=\frac{\partial L}{\partial y}\cdot g$，其中 $x>0$ 时 $g=1$、否则 $g=0$，即在 $x=0$ 处导数取 0。
- 为什么几乎碰不到 0：输入 $Wx+b$ 是连续取值的浮点数，恰好等于 0 的概率几乎为 0；即便偶尔碰到，取 0 还是取 1 也只影响这一个样本的这一次更新，远小于随机梯度本身的噪声。
- 类似地，Leaky ReLU、ReLU6 等分段线性函数在拐点处也都按约定取其中一侧的导数。
- 深度学习本来就不要求处处可导：max pooling、L1 正则、hinge loss、绝对值损失都有不可导点，做法相同。
- 如果确实需要处处光滑，可以改用 Softplus、GELU、Swish 等平滑近似。', '["001#Q13", "004#34"]', '["激活函数", "反向传播"]', 'concept', 'sourced', 2, '激活函数', '激活函数', '[]', '/work/main/tests/store/data/schema2_bank/activations.md', 98, '595ee5b18b35bbc9d54e00377e37c6b8a267c41b12a89b57c44fb49958c976ee', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-conv-out-square', 'fixture', '卷积层输出尺寸（正方形输入，stride 与 padding）', '$H_{out}=\lfloor (H+2p-k)/s\rfloor+1$：先加两侧填充，减去核大小，按步长向下取整，再加上第一个窗口的 1。', '["000#1.3", "003#2", "002#1"]', '["数值计算", "卷积基础"]', 'numeric', 'sourced', 1, '数值计算：输出尺寸', '数值计算', '[["template", "family: conv-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 14..231\n  C: 1, 3\n  N: 8, 16\n  k: 1, 3, 5, 7, 11\n  s: 1, 2, 3, 4\n  p: 0..3\nwhere:\n  2 * p <= k\n  s <= k\nnet:\n  input {C}x{H}x{H}\n  conv {N} k{k} s{s} p{p}\nprompt:\n  输入特征图大小为 {H}×{H}（{C} 通道），经过一个卷积层：{N} 个 {k}×{k} 卷积核，stride = {s}，padding = {p}（每侧各补 {p} 行/列零）。\n  输出特征图的高×宽是多少？（如 `56x56`）\nfixed:\n  000#1.3: H=224, C=3, N=16, k=7, s=2, p=3\n  003#2: H=227, C=3, N=16, k=11, s=4, p=0\n", 15]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 3, '11e53407c2f876f00c0d21a6e5e61e0b2a0647b2943f9b5157cba5f7227aba9d', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-conv-out-dilation', 'fixture', '空洞卷积的输出尺寸', '空洞卷积先换算等效核大小 $K=d(k-1)+1$，再代入 $H_{out}=\lfloor (H+2p-K)/s\rfloor+1$。', '["002#1", "000#1.3"]', '["数值计算", "卷积变种"]', 'numeric', 'sourced', 2, '数值计算：输出尺寸', '数值计算', '[["template", "family: conv-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 16..129\n  k: 3, 5\n  d: 2..6\n  s: 1, 2\n  p: 0..8\nwhere:\n  p <= d * (k - 1)\nnet:\n  input 2x{H}x{H}\n  conv 8 k{k} s{s} p{p} d{d}\nprompt:\n  输入特征图大小为 {H}×{H}，经过一个 {k}×{k} 的空洞卷积 (dilated convolution)：dilation = {d}，stride = {s}，padding = {p}（每侧各补 {p}）。\n  输出特征图的高×宽是多少？\nfixed:\n  002#1: H=64, k=3, d=2, s=1, p=2\n", 52]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 40, 'caa594a2e7ad5d6cf6264d94fd07cbde2826f3a8b33395c68add180cfd94d7ff', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-pool-out-default-stride', 'fixture', '池化层不写 stride 时的输出尺寸', 'PyTorch 的池化层 stride 默认等于 kernel_size，所以 `MaxPool2d(2)` 把高宽减半（向下取整）。', '["001#T6", "000#1.3"]', '["数值计算", "池化"]', 'numeric', 'sourced', 2, '数值计算：输出尺寸', '数值计算', '[["template", "family: pool-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 7..224\n  k: 2, 3, 4\n  pool: max, avg\nnet:\n  input 4x{H}x{H}\n  {pool}pool k{k}\nprompt:\n  输入特征图大小为 {H}×{H}，经过一个池化层（{pool} pooling）：只给了 kernel_size = {k}，stride 和 padding 都不写（取 PyTorch 的默认值）。\n  输出特征图的高×宽是多少？\nfixed:\n  001#T6: H=224, k=2, pool=max\n", 367]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 355, 'aecce679bbeef931525bc320d73e95d914e81d9acf8bc5e922872e66e5f7750d', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-conv-out-nonsquare', 'fixture', '非正方形输入、非正方形卷积核的输出尺寸', '高和宽各自独立套用 $\lfloor (H+2p-k)/s\rfloor+1$，注意核、步长、填充在两个方向上可以不同。', '["001#T1", "000#1.3"]', '["数值计算", "卷积基础"]', 'numeric', 'sourced', 2, '数值计算：输出尺寸', '数值计算', '[["template", "family: conv-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 8..160\n  W: 8..160\n  kh: 1, 3, 5, 7\n  kw: 1, 3, 5, 7\n  s: 1, 2\n  p: 0..2\nwhere:\n  H != W\n  2 * p <= kh and 2 * p <= kw\nnet:\n  input 1x{H}x{W}\n  conv 4 k{kh}x{kw} s{s} p{p}\nprompt:\n  输入图像大小为 {H}×{W}（高×宽），用一个 {kh}×{kw}（高×宽）的卷积核做卷积，stride = {s}，padding = {p}（上下左右每侧各 {p}）。\n  输出特征图的高×宽是多少？\nfixed:\n  001#T1: H=13, W=8, kh=3, kw=3, s=1, p=0\n", 86], ["claim", "source: 001#T1\nwhat: 001 第 53 行：13×8 输入、3×3 卷积核 → 11×6 特征图\ninput: 1x13x8\nnet: conv 1 k3\nquantity: output_hw\nclaimed: 11x6\nexpect: agree\n", 110]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 74, '85dac2fcac4372c05f4c830d318ccda8a7840188189ba51cbb3843046f84547d', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-conv-out-same-valid', 'fixture', 'padding = same / valid 的输出尺寸', 'same（stride 1）保持尺寸不变：两侧共补 $k-1$；valid 不补：$H-k+1$。', '["001#T2", "000#1.3"]', '["数值计算", "卷积基础"]', 'numeric', 'sourced', 1, '数值计算：输出尺寸', '数值计算', '[["template", "family: conv-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 7..224\n  k: 1, 3, 5, 7\n  pad: same, valid\nnet:\n  input 3x{H}x{H}\n  conv 8 k{k} p{pad}\nprompt:\n  输入特征图大小为 {H}×{H}×3，经过 8 个 {k}×{k} 卷积核，stride = 1，padding = ''{pad}''（PyTorch 写法）。\n  输出特征图的高×宽是多少？\nfixed:\n  001#T2: H=28, k=5, pad=valid\n  000#1.3: H=56, k=3, pad=same\n", 132]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 120, 'e16060464b345af32d83f1bb459cf79a500c838b74ba22a8a8ce708fe4f6420f', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-conv-out-stack-shape', 'fixture', '两层 valid 卷积后的输出形状（含 batch）', '每层 valid 3×3 卷积使高宽各减 2，通道数等于该层卷积核个数；batch 维不变。', '["001#T5"]', '["数值计算", "卷积基础"]', 'numeric', 'sourced', 2, '数值计算：输出尺寸', '数值计算', '[["template", "family: conv-output\nask: batch_output_shape(net)\nbatch: {B}\ntolerance: 0\nparams:\n  B: 8, 16, 32, 64, 100, 1000\n  H: 28..128\n  C: 1, 3\n  N1: 8, 16, 32\n  N2: 16, 32, 64\nnet:\n  input {C}x{H}x{H}\n  conv {N1} k3\n  relu\n  conv {N2} k3\nprompt:\n  {B} 张 {H}×{H}×{C} 的图像输入两层卷积（都是 3×3、stride 1、padding valid，每层后接 ReLU）：第一层 {N1} 个卷积核，第二层 {N2} 个卷积核。\n  输出张量的形状是多少？按 PyTorch 的 (N, C, H, W) 写，如 `(8, 64, 30, 30)`。\nfixed:\n  001#T5: B=1000, H=200, C=3, N1=32, N2=64\n", 163], ["claim", "source: 001#T5\nwhat: 200×200×3 经 32 个 3×3 valid 卷积 → 198×198×32\ninput: 3x200x200\nnet: conv 32 k3 pvalid\nquantity: output_shape\nclaimed: 32x198x198\nexpect: agree\n", 186], ["claim", "source: 001#T5\nwhat: 再经 64 个 3×3 valid 卷积 → 196×196×64\ninput: 3x200x200\nnet: conv 32 k3 pvalid\nnet: conv 64 k3 pvalid\nquantity: output_shape\nclaimed: 64x196x196\nexpect: agree\n", 196]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 151, '546d1e48038ba390eab78ccb07f038a8862a3958c1c5f8858f9e596a706b4d5d', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-conv-flatten-len', 'fixture', '展平后的特征长度', '展平长度 = 最后一层输出的 $C\times H\times W$（每个样本）。', '["001#T5"]', '["数值计算", "卷积基础"]', 'numeric', 'sourced', 2, '数值计算：输出尺寸', '数值计算', '[["template", "family: conv-output\nask: output_elems(net)\ntolerance: 0\nmistakes: none\nparams:\n  H: 28..128\n  C: 1, 3\n  N1: 8, 16, 32\n  N2: 16, 32, 64\nnet:\n  input {C}x{H}x{H}\n  conv {N1} k3\n  relu\n  conv {N2} k3\n  flatten\nprompt:\n  一张 {H}×{H}×{C} 的图像经过两层 3×3、stride 1、padding valid 的卷积（{N1} 个和 {N2} 个卷积核），再展平 (flatten) 后送入全连接层。\n  每张图展平后的向量长度是多少？\nfixed:\n  001#T5: H=200, C=3, N1=32, N2=64\n", 219], ["claim", "source: 001#T5\nwhat: 展平后的长度 196×196×64 = 2458624\ninput: 3x200x200\nnet: conv 32 k3 pvalid\nnet: conv 64 k3 pvalid\nnet: flatten\nquantity: output_shape\nclaimed: 2458624\nexpect: agree\n", 242]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 207, '90dd6d24d3c25d421c874e016a7e8215f6e7e6ee6d3d1f8a9642178685b35b06', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-conv-out-1x1-shape', 'fixture', '1×1 卷积后的输出形状', '1×1 卷积（stride 1）不改变高宽，只把通道数变成卷积核个数。', '["002#3", "000#2.2"]', '["数值计算", "卷积变种"]', 'numeric', 'sourced', 1, '数值计算：输出尺寸', '数值计算', '[["template", "family: conv-output\nask: batch_output_shape(net)\ntolerance: 0\nparams:\n  H: 7, 14, 28, 56, 64\n  C: 32, 64, 100, 128, 256\n  N: 16, 20, 32, 64\nwhere:\n  N < C\nnet:\n  input {C}x{H}x{H}\n  conv {N} k1\nprompt:\n  输入特征图为 {H}×{H}×{C}（高×宽×通道），经过 {N} 个 1×1 卷积核（stride 1）。\n  输出特征图的形状是多少？（如 `28x28x16` 或 `(1, 16, 28, 28)`）\nfixed:\n  002#3: H=500, C=100, N=20\n", 266]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 254, '67cf8620cb834815d9578a39cc792e56e5e00489e7eb240b9a58016cfa2ba858', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-pool-out-basic', 'fixture', '最大池化的输出尺寸', '池化与卷积同一个公式 $\lfloor (H+2p-k)/s\rfloor+1$（默认向下取整）。', '["000#1.3", "001#T6"]', '["数值计算", "池化"]', 'numeric', 'sourced', 1, '数值计算：输出尺寸', '数值计算', '[["template", "family: pool-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 7..224\n  k: 2, 3, 5\n  s: 1, 2, 3\n  p: 0..2\nwhere:\n  2 * p <= k\n  s <= k\nnet:\n  input 4x{H}x{H}\n  maxpool k{k} s{s} p{p}\nprompt:\n  输入特征图大小为 {H}×{H}，经过最大池化 (max pooling)：kernel_size = {k}，stride = {s}，padding = {p}（每侧），ceil_mode = False。\n  输出特征图的高×宽是多少？\nfixed:\n  000#1.3: H=112, k=3, s=2, p=1\n", 298]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 286, '0047bd0ea9c875f1f4fa2f0b3027c5121f09db10e5bec53264968401533ed965', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-pool-out-ceil', 'fixture', '池化的 ceil_mode', 'ceil_mode=True 时向上取整 $\lceil (H+2p-k)/s\rceil+1$，但最后一个窗口必须从输入（或左侧填充）内开始，否则去掉。', '["000#1.3", "001#T6"]', '["数值计算", "池化"]', 'numeric', 'sourced', 3, '数值计算：输出尺寸', '数值计算', '[["template", "family: pool-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 7..150\n  k: 2, 3\n  s: 2, 3\n  p: 0, 1\nwhere:\n  2 * p <= k\n  s <= k\n  (H + 2 * p - k) % s != 0    # otherwise ceil_mode changes nothing\nnet:\n  input 4x{H}x{H}\n  maxpool k{k} s{s} p{p} ceil\nprompt:\n  输入特征图大小为 {H}×{H}，经过 `nn.MaxPool2d(kernel_size={k}, stride={s}, padding={p}, ceil_mode=True)`（padding 为每侧填充）。\n  输出特征图的高×宽是多少？\nfixed:\n  000#1.3: H=112, k=3, s=2, p=0\n", 332]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 320, 'ad843842004a1bd3583433e5ba8bbcef1759eb0bbc20ec150fe0fa0c10eb52eb', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-convt-out-basic', 'fixture', '转置卷积的输出尺寸', '$H_{out}=(H-1)s-2p+k$（无 output_padding、dilation 1）：转置卷积把卷积的尺寸公式反过来用。', '["000#2.3", "002#14"]', '["数值计算", "卷积变种"]', 'numeric', 'sourced', 2, '数值计算：输出尺寸', '数值计算', '[["template", "family: convT-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 2..64\n  k: 2, 3, 4, 5\n  s: 1, 2, 3, 4\n  p: 0..2\nwhere:\n  s <= k\n  2 * p < k\nnet:\n  input 8x{H}x{H}\n  convT 4 k{k} s{s} p{p}\nprompt:\n  输入特征图大小为 {H}×{H}，经过转置卷积 (transposed convolution)：kernel_size = {k}，stride = {s}，padding = {p}（每侧），output_padding = 0。\n  输出特征图的高×宽是多少？\nfixed:\n  000#2.3: H=16, k=4, s=2, p=0\n  002#14: H=32, k=4, s=2, p=1\n", 397]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 385, '7dc8faa399053fd7f311f26be7d7c4ae0b8dc85bbdc6d0521026469a8e3c3351', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-convt-out-op', 'fixture', '带 output_padding 与 dilation 的转置卷积输出尺寸', '$H_{out}=(H-1)s-2p+d(k-1)+\text{output\_padding}+1$；output_padding 只在一侧补，必须小于 stride（或 dilation）。', '["002#14", "000#2.3"]', '["数值计算", "卷积变种"]', 'numeric', 'sourced', 3, '数值计算：输出尺寸', '数值计算', '[["template", "family: convT-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 2..64\n  k: 3, 4, 5\n  s: 2, 3\n  p: 0..2\n  op: 1, 2\n  d: 1, 2\nwhere:\n  op < s\n  2 * p < k\nnet:\n  input 8x{H}x{H}\n  convT 4 k{k} s{s} p{p} op{op} d{d}\nprompt:\n  输入特征图大小为 {H}×{H}，经过 `nn.ConvTranspose2d(kernel_size={k}, stride={s}, padding={p}, output_padding={op}, dilation={d})`（padding 为每侧）。\n  输出特征图的高×宽是多少？\nfixed:\n  002#14: H=7, k=3, s=2, p=1, op=1, d=1\n", 432]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 420, '3987c4ffe1b601adc063369ce4a409b7e9fc15c4f006591ac2a5f01f02cf74b8', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO questions VALUES ('num-convt-out-roundtrip', 'fixture', '下采样再用转置卷积上采样：尺寸能还原吗', 'stride 为 $s$ 的卷积把多个输入尺寸映射到同一个输出尺寸；转置卷积 $(H-1)s-2p+d(k-1)+\text{output\_padding}+1$ 用 output_padding 选回其中一个，所以要还原奇数尺寸时 output_padding 要取对。', '["002#14", "000#2.3", "001#Q3"]', '["数值计算", "卷积变种"]', 'numeric', 'sourced', 3, '数值计算：输出尺寸', '数值计算', '[["template", "family: convT-output\nask: output_hw(net)\ntolerance: 0\nparams:\n  H: 8..128\n  k: 3, 5\n  s: 2\n  op: 0, 1\n  pad = k // 2\nnet:\n  input 8x{H}x{H}\n  conv 16 k{k} s{s} p{pad}\n  relu\n  convT 8 k{k} s{s} p{pad} op{op}\nprompt:\n  输入 {H}×{H}：先经过 {k}×{k} 卷积（stride {s}，每侧 padding {pad}），再经过 {k}×{k} 转置卷积（stride {s}，每侧 padding {pad}，output_padding {op}）。\n  最终输出的高×宽是多少？\nfixed:\n  002#14: H=15, k=3, s=2, op=0\n  000#2.3: H=16, k=3, s=2, op=1\n", 468]]', '/work/main/tests/store/data/schema2_bank/numeric-output-size.md', 456, '25ccb8ab5a5316fed7a3aaf3980c717c3345bf612ea6eaa2d3c236e3e89fc9f5', '2026-11-20 09:00:00', '2026-11-20 09:00:00', NULL);
INSERT INTO rating_hours VALUES ('2026-11-20 09', 8);
INSERT INTO rating_hours VALUES ('2026-11-21 09', 7);
INSERT INTO rating_hours VALUES ('2026-11-22 09', 8);
INSERT INTO rating_hours VALUES ('2026-11-23 09', 1);
INSERT INTO reviews VALUES (1, 'num-conv-out-square', '2026-11-20 09:00:00', 3, NULL, '11e53407c2f876f00c0d21a6e5e61e0b2a0647b2943f9b5157cba5f7227aba9d', 1, 2.3065, 2.118103970459016, '2026-11-20 09:10:00', 0, 'a0', 'right', 'review', NULL, 0, '{"state": 1, "step": 0, "stability": null, "difficulty": null, "due": "2026-11-20T09:00:00+00:00", "last_review": null, "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (2, 'act-overview', '2026-11-20 09:03:00', 1, NULL, '05038aef05a025c6c8cec59027fd0806da3a71eb65bf69eb025aaa5aad9b90e2', 1, 0.212, 6.4133, '2026-11-20 09:04:00', 1, 'a1', 'right', 'review', NULL, 0, '{"state": 1, "step": 0, "stability": null, "difficulty": null, "due": "2026-11-20T09:00:00+00:00", "last_review": null, "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (3, 'act-overview', '2026-11-20 09:06:00', 2, NULL, '05038aef05a025c6c8cec59027fd0806da3a71eb65bf69eb025aaa5aad9b90e2', 1, 0.212, 7.604209769076838, '2026-11-20 09:11:30', 2, 'a2', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.212, "difficulty": 6.4133, "due": "2026-11-20T09:04:00+00:00", "last_review": "2026-11-20T09:03:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (4, 'num-conv-out-dilation', '2026-11-20 09:09:00', 4, NULL, 'caa594a2e7ad5d6cf6264d94fd07cbde2826f3a8b33395c68add180cfd94d7ff', 2, 8.2956, 1, '2026-11-28 09:09:00', 3, 'a3', 'right', 'review', NULL, 0, '{"state": 1, "step": 0, "stability": null, "difficulty": null, "due": "2026-11-20T09:00:00+00:00", "last_review": null, "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (5, 'num-conv-out-square', '2026-11-20 09:12:00', 3, NULL, '11e53407c2f876f00c0d21a6e5e61e0b2a0647b2943f9b5157cba5f7227aba9d', 2, 2.3065, 2.111214235785395, '2026-11-22 09:12:00', 4, 'a4', 'right', 'review', NULL, 1, '{"state": 1, "step": 1, "stability": 2.3065, "difficulty": 2.118103970459016, "due": "2026-11-20T09:10:00+00:00", "last_review": "2026-11-20T09:00:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (6, 'act-overview', '2026-11-20 09:15:00', 3, NULL, '05038aef05a025c6c8cec59027fd0806da3a71eb65bf69eb025aaa5aad9b90e2', 1, 0.24668918777567272, 7.5918339286046, '2026-11-20 09:25:00', 5, 'a5', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.212, "difficulty": 7.604209769076838, "due": "2026-11-20T09:11:30+00:00", "last_review": "2026-11-20T09:06:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (7, 'act-sigmoid-tanh', '2026-11-20 09:18:00', 1, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.212, 6.4133, '2026-11-20 09:19:00', 6, 'a6', 'right', 'review', NULL, 0, '{"state": 1, "step": 0, "stability": null, "difficulty": null, "due": "2026-11-20T09:00:00+00:00", "last_review": null, "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (8, 'act-sigmoid-tanh', '2026-11-20 09:21:00', 2, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.212, 7.604209769076838, '2026-11-20 09:26:30', 7, 'a7', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.212, "difficulty": 6.4133, "due": "2026-11-20T09:19:00+00:00", "last_review": "2026-11-20T09:18:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (9, 'act-overview', '2026-11-21 09:00:00', 1, NULL, '05038aef05a025c6c8cec59027fd0806da3a71eb65bf69eb025aaa5aad9b90e2', 1, 0.09603383636195935, 9.193680557158455, '2026-11-21 09:01:00', 0, 'a0', 'right', 'review', NULL, 1, '{"state": 1, "step": 1, "stability": 0.24668918777567272, "difficulty": 7.5918339286046, "due": "2026-11-20T09:25:00+00:00", "last_review": "2026-11-20T09:15:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (10, 'act-sigmoid-tanh', '2026-11-21 09:03:00', 2, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.212, 8.39479117018528, '2026-11-21 09:08:30', 1, 'a1', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.212, "difficulty": 7.604209769076838, "due": "2026-11-20T09:26:30+00:00", "last_review": "2026-11-20T09:21:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (11, 'act-overview', '2026-11-21 09:06:00', 4, NULL, '05038aef05a025c6c8cec59027fd0806da3a71eb65bf69eb025aaa5aad9b90e2', 2, 0.2025222161495816, 8.909474543143686, '2026-11-22 09:06:00', 2, 'a2', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.09603383636195935, "difficulty": 9.193680557158455, "due": "2026-11-21T09:01:00+00:00", "last_review": "2026-11-21T09:00:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (12, 'act-sigmoid-tanh', '2026-11-21 09:09:00', 3, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.24668918777567272, 8.381624748311934, '2026-11-21 09:19:00', 3, 'a3', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.212, "difficulty": 8.39479117018528, "due": "2026-11-21T09:08:30+00:00", "last_review": "2026-11-21T09:03:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (13, 'num-conv-out-nonsquare', '2026-11-21 09:12:00', 3, NULL, '85dac2fcac4372c05f4c830d318ccda8a7840188189ba51cbb3843046f84547d', 1, 2.3065, 2.118103970459016, '2026-11-21 09:22:00', 4, 'a4', 'right', 'review', NULL, 0, '{"state": 1, "step": 0, "stability": null, "difficulty": null, "due": "2026-11-20T09:00:00+00:00", "last_review": null, "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (14, 'num-conv-out-stack-shape', '2026-11-21 09:15:00', 1, NULL, '546d1e48038ba390eab78ccb07f038a8862a3958c1c5f8858f9e596a706b4d5d', 1, 0.212, 6.4133, '2026-11-21 09:16:00', 5, 'a5', 'right', 'review', NULL, 0, '{"state": 1, "step": 0, "stability": null, "difficulty": null, "due": "2026-11-20T09:00:00+00:00", "last_review": null, "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (15, 'num-conv-out-stack-shape', '2026-11-21 09:18:00', 2, NULL, '546d1e48038ba390eab78ccb07f038a8862a3958c1c5f8858f9e596a706b4d5d', 1, 0.212, 7.604209769076838, '2026-11-21 09:23:30', 6, 'a6', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.212, "difficulty": 6.4133, "due": "2026-11-21T09:16:00+00:00", "last_review": "2026-11-21T09:15:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (16, 'act-sigmoid-tanh', '2026-11-21 09:21:00', 4, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 2, 0.48892083828453853, 7.826067524781349, '2026-11-22 09:21:00', 7, 'a7', 'right', 'review', NULL, 1, '{"state": 1, "step": 1, "stability": 0.24668918777567272, "difficulty": 8.381624748311934, "due": "2026-11-21T09:19:00+00:00", "last_review": "2026-11-21T09:09:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (17, 'act-sigmoid-tanh', '2026-11-21 09:24:00', 0, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.24668918777567272, 8.381624748311934, '2026-11-21 09:19:00', NULL, NULL, NULL, 'undo', 16, NULL, NULL);
INSERT INTO reviews VALUES (18, 'act-sigmoid-tanh', '2026-11-22 09:00:00', 2, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.24668918777567272, 8.910875460939572, '2026-11-22 09:10:00', 0, 'a0', 'right', 'review', NULL, 1, '{"state": 1, "step": 1, "stability": 0.24668918777567272, "difficulty": 8.381624748311934, "due": "2026-11-21T09:19:00+00:00", "last_review": "2026-11-21T09:09:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (19, 'num-conv-out-nonsquare', '2026-11-22 09:03:00', 4, NULL, '85dac2fcac4372c05f4c830d318ccda8a7840188189ba51cbb3843046f84547d', 2, 3.946054067969477, 1, '2026-11-26 09:03:00', 1, 'a1', 'right', 'review', NULL, 1, '{"state": 1, "step": 1, "stability": 2.3065, "difficulty": 2.118103970459016, "due": "2026-11-21T09:22:00+00:00", "last_review": "2026-11-21T09:12:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (20, 'num-conv-out-stack-shape', '2026-11-22 09:06:00', 3, NULL, '546d1e48038ba390eab78ccb07f038a8862a3958c1c5f8858f9e596a706b4d5d', 1, 0.24668918777567272, 7.5918339286046, '2026-11-22 09:16:00', 2, 'a2', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.212, "difficulty": 7.604209769076838, "due": "2026-11-21T09:23:30+00:00", "last_review": "2026-11-21T09:18:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (21, 'act-overview', '2026-11-22 09:09:00', 3, NULL, '05038aef05a025c6c8cec59027fd0806da3a71eb65bf69eb025aaa5aad9b90e2', 2, 0.9526547971412028, 8.89579343789738, '2026-11-23 09:09:00', 3, 'a3', 'right', 'review', NULL, 2, '{"state": 2, "step": null, "stability": 0.2025222161495816, "difficulty": 8.909474543143686, "due": "2026-11-22T09:06:00+00:00", "last_review": "2026-11-21T09:06:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (22, 'act-sigmoid-tanh', '2026-11-22 09:12:00', 1, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.09603383636195935, 9.62724053935454, '2026-11-22 09:13:00', 4, 'a4', 'right', 'review', NULL, 1, '{"state": 1, "step": 1, "stability": 0.24668918777567272, "difficulty": 8.910875460939572, "due": "2026-11-22T09:10:00+00:00", "last_review": "2026-11-22T09:00:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (23, 'act-sigmoid-tanh', '2026-11-22 09:15:00', 2, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.09603383636195935, 9.737773268729516, '2026-11-22 09:20:30', 5, 'a5', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.09603383636195935, "difficulty": 9.62724053935454, "due": "2026-11-22T09:13:00+00:00", "last_review": "2026-11-22T09:12:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (24, 'num-conv-out-stack-shape', '2026-11-22 09:18:00', 4, NULL, '546d1e48038ba390eab78ccb07f038a8862a3958c1c5f8858f9e596a706b4d5d', 2, 0.48892083828453853, 6.772365417380022, '2026-11-23 09:18:00', 6, 'a6', 'right', 'review', NULL, 1, '{"state": 1, "step": 1, "stability": 0.24668918777567272, "difficulty": 7.5918339286046, "due": "2026-11-22T09:16:00+00:00", "last_review": "2026-11-22T09:06:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (25, 'act-sigmoid-tanh', '2026-11-22 09:21:00', 3, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.11772478736294154, 9.723263864757623, '2026-11-22 09:31:00', 7, 'a7', 'right', 'review', NULL, 1, '{"state": 1, "step": 0, "stability": 0.09603383636195935, "difficulty": 9.737773268729516, "due": "2026-11-22T09:20:30+00:00", "last_review": "2026-11-22T09:15:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO reviews VALUES (26, 'act-sigmoid-tanh', '2026-11-23 09:00:00', 3, NULL, 'db9f2b1be6e4271ab6746f2f03ce42875a3bc10d2d9514368f99c189a43e8d6f', 1, 0.11772478736294154, 9.723263864757623, '2026-11-22 09:31:00', NULL, NULL, NULL, 'cram', NULL, 1, '{"state": 1, "step": 1, "stability": 0.11772478736294154, "difficulty": 9.723263864757623, "due": "2026-11-22T09:31:00+00:00", "last_review": "2026-11-22T09:21:00+00:00", "lapses": 0, "leech": false, "suspended": false, "buried_until": null, "flagged": false}');
INSERT INTO schema_info VALUES (2);
INSERT INTO settings VALUES ('bank_files:f16d05ec6b29248d2c61adb1e9263f78', '{"/work/main/tests/store/data/schema2_bank/activations.md": ["5ee930792667e8ed8af5938cb83af9866f1d8e80310a392675bd9fad355d063a", 5], "/work/main/tests/store/data/schema2_bank/numeric-output-size.md": ["995cbcc63995b16da1983a2e537c52464327f2d2ec1e3eb2c571d51b8566cf81", 13]}');
INSERT INTO settings VALUES ('new_ranks_order', '"interleaved"');
INSERT INTO settings VALUES ('new_per_day', '30');
INSERT INTO settings VALUES ('extra_new:2026-11-23', '5');
SELECT pg_catalog.setval('reviews_id_seq', 26, true);
SELECT pg_catalog.setval('schema_info_version_seq', 1, false);
ALTER TABLE ONLY card_review_totals
    ADD CONSTRAINT card_review_totals_pkey PRIMARY KEY (question_id);
ALTER TABLE ONLY cards
    ADD CONSTRAINT cards_pkey PRIMARY KEY (question_id);
ALTER TABLE ONLY deck_totals
    ADD CONSTRAINT deck_totals_pkey PRIMARY KEY (deck, kind);
ALTER TABLE ONLY questions
    ADD CONSTRAINT questions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY rating_hours
    ADD CONSTRAINT rating_hours_pkey PRIMARY KEY (hour);
ALTER TABLE ONLY reviews
    ADD CONSTRAINT reviews_pkey PRIMARY KEY (id);
ALTER TABLE ONLY schema_info
    ADD CONSTRAINT schema_info_pkey PRIMARY KEY (version);
ALTER TABLE ONLY settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);
CREATE INDEX ix_card_review_totals_deck ON card_review_totals USING btree (deck, last_rating);
CREATE INDEX ix_card_review_totals_first ON card_review_totals USING btree (first_review);
CREATE INDEX ix_cards_buried ON cards USING btree (buried_until, suspended) WHERE (buried_until IS NOT NULL);
CREATE INDEX ix_cards_deck_due ON cards USING btree (deck, live, state, due, suspended, buried_until, last_review) WHERE (last_review IS NOT NULL);
CREATE INDEX ix_cards_due ON cards USING btree (due);
CREATE INDEX ix_cards_new_rank ON cards USING btree (new_rank);
CREATE INDEX ix_cards_studied ON cards USING btree (state, due, suspended, buried_until, live, last_review, question_id) WHERE (last_review IS NOT NULL);
CREATE INDEX ix_cards_suspended ON cards USING btree (suspended);
CREATE INDEX ix_cards_unseen ON cards USING btree (suspended, buried_until, last_review, question_id) WHERE (last_review IS NULL);
CREATE INDEX ix_questions_bank ON questions USING btree (bank);
CREATE INDEX ix_questions_card ON questions USING btree (id, retired_at, deck, kind);
CREATE INDEX ix_questions_deck ON questions USING btree (deck);
CREATE INDEX ix_questions_live ON questions USING btree (retired_at, deck, kind, file);
CREATE INDEX ix_questions_position ON questions USING btree (file, line);
CREATE INDEX ix_questions_sync ON questions USING btree (bank, id, content_hash, retired_at, file, line);
CREATE INDEX ix_reviews_card ON reviews USING btree (question_id, kind, reviewed_at, rating, state_before);
CREATE INDEX ix_reviews_kind ON reviews USING btree (kind, state_before, reviewed_at, rating);
CREATE INDEX ix_reviews_question_id ON reviews USING btree (question_id);
CREATE INDEX ix_reviews_reviewed_at ON reviews USING btree (reviewed_at);
CREATE INDEX ix_reviews_undo ON reviews USING btree (undoes) WHERE ((kind)::text = 'undo'::text);
CREATE INDEX ix_reviews_undoes ON reviews USING btree (undoes);
CREATE INDEX ix_reviews_when ON reviews USING btree (reviewed_at, kind, state_before, rating, question_id);
CREATE TRIGGER card_review_totals_inserted AFTER INSERT ON reviews REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION quiz_review_logged();
CREATE TRIGGER deck_totals_card_copy BEFORE INSERT ON cards FOR EACH ROW EXECUTE FUNCTION quiz_card_copy();
CREATE TRIGGER deck_totals_cards AFTER INSERT OR DELETE OR UPDATE OF last_review, suspended ON cards FOR EACH ROW EXECUTE FUNCTION quiz_card_changed();
CREATE TRIGGER deck_totals_questions AFTER INSERT OR DELETE OR UPDATE OF deck, kind, retired_at ON questions FOR EACH ROW EXECUTE FUNCTION quiz_question_changed();
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews FOR EACH ROW EXECUTE FUNCTION quiz_reviews_append_only();
CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews FOR EACH ROW EXECUTE FUNCTION quiz_reviews_append_only();
ALTER TABLE ONLY cards
    ADD CONSTRAINT cards_question_id_fkey FOREIGN KEY (question_id) REFERENCES questions(id);
ALTER TABLE ONLY reviews
    ADD CONSTRAINT reviews_question_id_fkey FOREIGN KEY (question_id) REFERENCES questions(id);
