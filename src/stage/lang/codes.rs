//! Language codes: the ISO 639-3 individual languages the model labels, the macrolanguages that
//! stand for them in configuration lists, the FLORES-200 style `lang_Script` tags of the output,
//! and Simplified against Traditional Chinese.
//!
//! - **Labels** are ISO 639-3 *individual* languages (`arb`, not the macrolanguage `ara`): the
//!   training text of each profile is in one individual language (`eval/lang/README.md`).
//! - **Tags** (`lang_script`) are `{lang}_{Script}` as FLORES-200 writes them: the language and
//!   the ISO 15924 script the segment is written in (`arb_Arab`, `srp_Cyrl`, `jpn_Jpan`,
//!   `kor_Hang` — Korean is `Hang` even when Han characters are mixed in, as in FLORES —,
//!   `cmn_Hans` or `cmn_Hant` by [`han_variant`]); `und_Zyyy` when the language is `und`.
//! - **Configuration lists** (`[language] allow/deny`, `[filter] keep_languages`) take
//!   individual codes, macrolanguage codes (standing for every member the model has: `zho` is
//!   `cmn`, `msa` is `ind`, `ara` is `arb`), tags, and `und`. Anything else is an error with the
//!   closest valid codes ([`check`]).

use super::model::Model;
use std::sync::OnceLock;

/// The tag of a segment whose language is `und`.
pub const UND_TAG: &str = "und_Zyyy";

/// ISO 639-3 macrolanguages and their individual members (the macrolanguage mappings of the
/// ISO 639-3 code tables), for the macrolanguages that have a member among the model's
/// languages or in the same family of codes that users write (`zho`, `msa`, `fas`, `sqi`, …).
pub const MACROLANGUAGES: &[(&str, &[&str])] = &[
    ("aka", &["fat", "twi"]),
    (
        "ara",
        &[
            "aao", "abh", "abv", "acm", "acq", "acw", "acx", "acy", "adf", "aeb", "aec", "afb",
            "ajp", "apc", "apd", "arb", "arq", "ars", "ary", "arz", "auz", "avl", "ayh", "ayl",
            "ayn", "ayp", "pga", "shu", "ssh",
        ],
    ),
    ("aym", &["ayc", "ayr"]),
    ("aze", &["azb", "azj"]),
    (
        "bik",
        &["bcl", "bln", "bto", "cts", "fbl", "lbl", "rbl", "ubl"],
    ),
    ("doi", &["dgo", "xnr"]),
    ("est", &["ekk", "vro"]),
    ("fas", &["pes", "prs"]),
    (
        "ful",
        &[
            "ffm", "fub", "fuc", "fue", "fuf", "fuh", "fui", "fuq", "fuv",
        ],
    ),
    ("grn", &["gnw", "gug", "gui", "gun", "nhd"]),
    ("hbs", &["bos", "cnr", "hrv", "srp"]),
    ("iku", &["ike", "ikt"]),
    ("kau", &["kby", "knc", "krt"]),
    ("kok", &["gom", "knn"]),
    ("kom", &["koi", "kpv"]),
    ("kon", &["kng", "kwy", "ldi"]),
    ("kur", &["ckb", "kmr", "sdh"]),
    ("lav", &["ltg", "lvs"]),
    (
        "mlg",
        &[
            "bhr", "bmm", "bzc", "msh", "plt", "skg", "tdx", "tkg", "txy", "xmv", "xmw",
        ],
    ),
    ("mon", &["khk", "mvf"]),
    (
        "msa",
        &[
            "bjn", "btj", "bve", "bvu", "coa", "dup", "hji", "ind", "jak", "jax", "kvb", "kvr",
            "kxd", "lce", "lcf", "liw", "max", "meo", "mfa", "mfb", "min", "mly", "mqg", "msi",
            "mui", "orn", "ors", "pel", "pse", "tmw", "urk", "vkk", "vkt", "xmm", "zlm", "zmi",
            "zsm",
        ],
    ),
    ("nep", &["dty", "npi"]),
    ("nor", &["nno", "nob"]),
    ("oji", &["ciw", "ojb", "ojc", "ojg", "ojs", "ojw", "otw"]),
    ("ori", &["ory", "spv"]),
    ("orm", &["gax", "gaz", "hae", "orc"]),
    ("pus", &["pbt", "pbu", "pst"]),
    (
        "que",
        &[
            "qub", "qud", "quf", "qug", "quh", "quk", "qul", "qup", "qur", "qus", "quw", "qux",
            "quy", "quz", "qva", "qvc", "qve", "qvh", "qvi", "qvj", "qvl", "qvm", "qvn", "qvo",
            "qvp", "qvs", "qvw", "qvz", "qwa", "qwc", "qwh", "qws", "qxa", "qxc", "qxh", "qxl",
            "qxn", "qxo", "qxp", "qxr", "qxt", "qxu", "qxw",
        ],
    ),
    ("rom", &["rmc", "rmf", "rml", "rmn", "rmo", "rmw", "rmy"]),
    ("sqi", &["aae", "aat", "aln", "als"]),
    ("srd", &["sdc", "sdn", "src", "sro"]),
    ("swa", &["swc", "swh"]),
    ("uzb", &["uzn", "uzs"]),
    ("yid", &["ydd", "yih"]),
    (
        "zho",
        &[
            "cdo", "cjy", "cmn", "cnp", "cpx", "csp", "czh", "czo", "gan", "hak", "hsn", "lzh",
            "mnp", "nan", "wuu", "yue",
        ],
    ),
];

/// Scripts written in one language only, as far as the profiles go, and the script of its tag:
/// settled without scoring. `Hani` (Han without kana or Hangul) is Mandarin, `Hans` or `Hant`
/// by [`han_variant`].
pub const SCRIPT_LANGUAGES: &[(&str, &str, &str)] = &[
    ("Armn", "hye", "hye_Armn"),
    ("Beng", "ben", "ben_Beng"),
    ("Ethi", "amh", "amh_Ethi"),
    ("Geor", "kat", "kat_Geor"),
    ("Grek", "ell", "ell_Grek"),
    ("Gujr", "guj", "guj_Gujr"),
    ("Guru", "pan", "pan_Guru"),
    ("Hang", "kor", "kor_Hang"),
    ("Hani", "cmn", "cmn_Hans"),
    ("Jpan", "jpn", "jpn_Jpan"),
    ("Khmr", "khm", "khm_Khmr"),
    ("Knda", "kan", "kan_Knda"),
    ("Kore", "kor", "kor_Hang"),
    ("Laoo", "lao", "lao_Laoo"),
    ("Mlym", "mal", "mal_Mlym"),
    ("Mymr", "mya", "mya_Mymr"),
    ("Orya", "ory", "ory_Orya"),
    ("Sinh", "sin", "sin_Sinh"),
    ("Taml", "tam", "tam_Taml"),
    ("Telu", "tel", "tel_Telu"),
    ("Thai", "tha", "tha_Thai"),
];

/// The tag of Mandarin in Traditional characters.
pub const CMN_HANT: &str = "cmn_Hant";

/// Every language the model can give, with the tag of each script it is given in; built once
/// from the embedded profiles and [`SCRIPT_LANGUAGES`].
pub struct Codes {
    /// `(lang, script as the script stage names it, tag)`, sorted by tag.
    tags: Vec<(&'static str, &'static str, String)>,
}

impl Codes {
    /// The codes of the embedded model.
    pub fn get() -> &'static Codes {
        static CODES: OnceLock<Codes> = OnceLock::new();
        CODES.get_or_init(|| {
            let model = Model::embedded().unwrap_or(Model { groups: Vec::new() });
            let mut tags: Vec<(&'static str, &'static str, String)> = Vec::new();
            for g in &model.groups {
                for &l in &g.langs {
                    tags.push((l, g.script, format!("{l}_{}", g.script)));
                }
            }
            for &(s, l, t) in SCRIPT_LANGUAGES {
                tags.push((l, s, t.to_string()));
            }
            tags.push(("cmn", "Hani", CMN_HANT.to_string()));
            tags.sort_by(|a, b| a.2.cmp(&b.2).then(a.1.cmp(b.1)));
            tags.dedup_by(|a, b| a.2 == b.2 && a.1 == b.1);
            Codes { tags }
        })
    }

    /// The tag of `lang` written in `script` (the script stage's code; `Hani` gives `cmn_Hans`,
    /// see [`han_variant`] for `cmn_Hant`); [`UND_TAG`] for `und` or a pair the model never
    /// gives.
    pub fn tag(&'static self, lang: &str, script: &str) -> &'static str {
        self.tags
            .iter()
            .find(|(l, s, t)| *l == lang && *s == script && (script != "Hani" || t != CMN_HANT))
            .map_or(UND_TAG, |(_, _, t)| t.as_str())
    }

    /// Whether the model gives the individual language `lang`.
    pub fn has_lang(&self, lang: &str) -> bool {
        self.tags.iter().any(|(l, _, _)| *l == lang)
    }

    /// Whether the model gives the tag `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|(_, _, t)| t == tag)
    }

    /// The individual languages of the model, sorted, without repeats.
    pub fn langs(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.tags.iter().map(|(l, _, _)| *l).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The members of the macrolanguage `code` that the model gives (empty when `code` is no
    /// macrolanguage, or none of its members is a language of the model).
    pub fn members(&self, code: &str) -> Vec<&'static str> {
        MACROLANGUAGES
            .iter()
            .find(|(m, _)| *m == code)
            .map(|(_, ms)| ms.iter().copied().filter(|l| self.has_lang(l)).collect())
            .unwrap_or_default()
    }

    /// Every code a configuration list accepts: `und`, the languages, the macrolanguages with a
    /// member in the model, and the tags.
    pub fn valid(&self) -> Vec<String> {
        let mut v: Vec<String> = vec!["und".into()];
        v.extend(self.langs().iter().map(|s| s.to_string()));
        v.extend(
            MACROLANGUAGES
                .iter()
                .filter(|(m, _)| !self.members(m).is_empty())
                .map(|(m, _)| m.to_string()),
        );
        v.extend(self.tags.iter().map(|(_, _, t)| t.clone()));
        v.sort();
        v.dedup();
        v
    }
}

/// Whether `code` is accepted in a configuration list of languages; the error says why not and
/// names the closest valid codes: those of the same macrolanguage, and those at the smallest
/// edit distance (at most 2).
pub fn check(code: &str) -> Result<(), String> {
    let codes = Codes::get();
    if code == "und" || codes.has_lang(code) || codes.has_tag(code) {
        return Ok(());
    }
    if MACROLANGUAGES.iter().any(|(m, _)| *m == code) {
        if !codes.members(code).is_empty() {
            return Ok(());
        }
        let all = MACROLANGUAGES
            .iter()
            .find(|(m, _)| *m == code)
            .map(|(_, ms)| ms.join(", "))
            .unwrap_or_default();
        return Err(format!(
            "`{code}`: no member of this macrolanguage ({all}) is a language of the model{}",
            suggestion(code, codes)
        ));
    }
    Err(format!(
        "`{code}` is not an ISO 639-3 code of the model (an individual language like `arb`, a \
         macrolanguage like `ara`, a tag like `arb_Arab`, or `und`){}",
        suggestion(code, codes)
    ))
}

/// `"; closest: `a`, `b`"`, or nothing when nothing is close.
fn suggestion(code: &str, codes: &Codes) -> String {
    let mut near: Vec<String> = Vec::new();
    // Same macrolanguage: `zsm` is `msa`, of which the model has `ind`.
    for (m, ms) in MACROLANGUAGES {
        if ms.contains(&code) {
            for l in codes.members(m) {
                near.push(format!("`{l}` (same macrolanguage `{m}`)"));
            }
        }
    }
    // A tag with a script the model does not give that language in: the language's tags.
    if let Some((l, _)) = code.split_once('_') {
        if codes.has_lang(l) {
            near.extend(
                codes
                    .tags
                    .iter()
                    .filter(|(x, _, _)| *x == l)
                    .map(|(_, _, t)| format!("`{t}`")),
            );
        }
    }
    let valid = codes.valid();
    let lower = code.to_lowercase();
    let dist: Vec<(usize, &String)> = valid
        .iter()
        .map(|v| (edit_distance(&lower, &v.to_lowercase()), v))
        .collect();
    if let Some(best) = dist.iter().map(|d| d.0).min().filter(|&d| d <= 2) {
        near.extend(
            dist.iter()
                .filter(|d| d.0 == best)
                .take(8)
                .map(|(_, v)| format!("`{v}`")),
        );
    }
    let mut seen = Vec::new();
    near.retain(|n| {
        let new = !seen.contains(n);
        seen.push(n.clone());
        new
    });
    if near.is_empty() {
        String::new()
    } else {
        format!("; closest: {}", near.join(", "))
    }
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A configuration list of languages, resolved: which (language, tag) pairs it names.
#[derive(Debug, Clone, Default)]
pub struct LangSet {
    langs: Vec<String>,
    tags: Vec<String>,
}

impl LangSet {
    /// The set named by `codes` (each one accepted by [`check`]; others name nothing):
    /// a macrolanguage stands for its members in the model.
    pub fn new(codes: &[String]) -> LangSet {
        let all = Codes::get();
        let mut set = LangSet::default();
        for c in codes {
            if c.contains('_') {
                set.tags.push(c.clone());
            } else {
                let members = all.members(c);
                if members.is_empty() {
                    set.langs.push(c.clone());
                } else {
                    set.langs.extend(members.iter().map(|m| m.to_string()));
                    // A macrolanguage that is also a language of its own (none today) stays.
                    if all.has_lang(c) {
                        set.langs.push(c.clone());
                    }
                }
            }
        }
        set
    }

    /// Whether the list was empty.
    pub fn is_empty(&self) -> bool {
        self.langs.is_empty() && self.tags.is_empty()
    }

    /// Whether the set names the language `lang` written as `tag`.
    pub fn contains(&self, lang: &str, tag: &str) -> bool {
        self.langs.iter().any(|l| l == lang) || self.tags.iter().any(|t| t == tag)
    }
}

/// Han characters (frequent ones) that exist in Simplified Chinese only: their Traditional form
/// is another character.
const SIMPLIFIED_ONLY: &str = "这们个说时国会对发来为经过还没样问开关门见长间点动实现学员机从两电\
话东车书体认让应进习买卖题岁连边务产业网页设义议论语读写听钱银线级织红纸绍给结统续马鸟鱼龙华万\
与专丝丢严丧乐乡亚亲众优伤伦传价仪侧侨俭债倾储儿党兰关兴养兽内册写军农冯决况冻净凉减凤凭刘则\
刚创删别剧劝办务劳势勋区医华单卖卢卫却厅历压厌县参双变叙叶号叹吗吨听启吴呜员响哑唤啰园围图圆圣\
场坏块坚坛坝坟坠垄垒备复够头夹夺奋奖妆妇妈姗娱娄婴孙宁宝实宠审宪宫宽宾对寻导寿将尔尘尝层属岁岂\
岗岛岭峡币师帐帘带帮广庄庆库应庙废开异弃张弥弯弹强归当录彻径忆忧怀态怜总恋恳恶恼悦惊惧惨惩惯愤\
愿戏战户执扩扫扬扰抚抛抢护报担拟拢拣拥择挂挡挣挤挥损换据掷揽搀摄摆摇撑敌数斋断无旧时旷昼显晒\
晓晕暂术机杀杂权杨极构枪柜标栋树样档桥检楼横欢欧残毁毕气汇汉汤沟没沪泪泽洁浅浆测浏济浑浓涂涛涝\
润涨渊渐渔温湾湿满滚滞滤滥灭灯灵灾灿炉点炼烁烂烛烟烦烧热爱爷牵犹狮独狭猎猪献环现玛电画畅疗疮疯\
痒盐监盖盘睁矿码砖础硕确碍礼祸离种积称稳窃窍穷窝窥竞笔笼筑筛简签篮类粮紧纠红约级纪纬纯纱纲纳纵\
纷纸纹纺线练组细织终绍经结绕绘给络绝统继绩绪续维绵综绿缓编缘缠缩网罗罚罢职联聪肃肠肤肿胀胁胆胜\
胶脉脏脑脚脱脸腊舰艰艺节芦苍苏苹茎荐荡荣药莱获萝营萧蓝虑虚虫虽虾蚀蛮补衬袄装见观规视览觉触誉\
计订认讨让训议讯记讲许论设访证评识诉词译试诗诚话诞询该详语误说请诸读课谁调谈谊谋谓谢谣谱贝负\
贡财责贤败货质贩贪贫购贯贵贷费贸贺资赋赌赏赔赖赚赛赞赠赵赶趋跃践踪躯车轨转轮软轰轻载较辅辆辈辉\
辑输辞辩边辽达迁过迈运还这进远违连迟适选逊递逻遗邮邻郑酝酱酿释鉴钉针钓钟钢钥钱钻铁铃铅铜铭铺\
链销锁锅锋错锡锦键锻镇镜长门闪闭问闯闲间闷闸闹闻阁阅阐阔队阳阴阵阶际陆陈险随隐难雾静顶项顺须顾\
顿预领频颗题颜额风飘飞饥饭饮饰饱饼馆首驱驶驻驾验骂骑骗骚鱼鲁鲜鸡鸣鸭鹅黄齐齿龄龙";

/// Han characters (frequent ones) that exist in Traditional Chinese only: their Simplified form
/// is another character.
const TRADITIONAL_ONLY: &str = "這們個說時國會對發來為經過還沒樣問開關門見長間點動實現學員機從兩電\
話東車書體認讓應進習買賣題歲連邊務產業網頁設義議論語讀寫聽錢銀線級織紅紙紹給結統續馬鳥魚龍華萬\
與專絲丟嚴喪樂鄉亞親眾優傷倫傳價儀側僑儉債傾儲兒黨蘭興養獸冊軍農馮決況凍淨涼減鳳憑劉則剛創刪\
別劇勸辦勞勢勳區醫單盧衛卻廳歷壓厭縣參雙變敘葉號嘆嗎噸啟吳嗚響啞喚囉園圍圖圓聖場壞塊堅壇壩墳墜\
壟壘備復夠頭夾奪奮獎妝婦媽姍娛婁嬰孫寧寶實寵審憲宮寬賓尋導壽將爾塵嘗層屬豈崗島嶺峽幣師帳簾帶幫\
廣莊慶庫廟廢異棄張彌彎彈強歸當錄徹徑憶憂懷態憐總戀懇惡惱悅驚懼慘懲慣憤願戲戰戶執擴掃揚擾撫拋搶\
護報擔擬攏揀擁擇掛擋掙擠揮損換據擲攬攙攝擺搖撐敵數齋斷無舊曠晝顯曬曉暈暫術殺雜權楊極構槍櫃標\
棟樹檔橋檢樓橫歡歐殘毀畢氣匯漢湯溝滬淚澤潔淺漿測瀏濟渾濃塗濤澇潤漲淵漸漁溫灣濕滿滾滯濾濫滅燈靈\
災燦爐煉爍爛燭煙煩燒熱愛爺牽猶獅獨狹獵豬獻環瑪畫暢療瘡瘋癢鹽監蓋盤睜礦碼磚礎碩確礙禮禍離種積稱\
穩竊竅窮窩窺競筆籠築篩簡簽籃類糧緊糾約紀緯純紗綱納縱紛紋紡練組細終繞繪絡絕繼績緒維綿綜綠緩編緣\
纏縮羅罰罷職聯聰肅腸膚腫脹脅膽勝膠脈臟腦腳脫臉臘艦艱藝節蘆蒼蘇蘋莖薦蕩榮藥萊獲蘿營蕭藍慮虛蟲\
雖蝦蝕蠻補襯襖裝觀規視覽覺觸譽計訂討訓訊記講許訪證評識訴詞譯試詩誠誕詢該詳誤請諸課誰調談誼謀謂\
謝謠譜貝負貢財責賢敗貨質販貪貧購貫貴貸費貿賀資賦賭賞賠賴賺賽讚贈趙趕趨躍踐蹤軀軌轉輪軟轟輕載較\
輔輛輩輝輯輸辭辯遼達遷邁運遠違遲適選遜遞邏遺郵鄰鄭醞醬釀釋鑒釘針釣鐘鋼鑰鑽鐵鈴鉛銅銘鋪鏈銷鎖鍋\
鋒錯錫錦鍵鍛鎮鏡閃閉闖閒悶閘鬧聞閣閱闡闊隊陽陰陣階際陸陳險隨隱難霧靜頂項順須顧頓預領頻顆顏額風\
飄飛饑飯飲飾飽餅館驅駛駐駕驗罵騎騙騷魯鮮雞鳴鴨鵝黃齊齒齡";

/// Whether text in Han characters is written in Traditional characters: more of its characters
/// are among [`TRADITIONAL_ONLY`] than among [`SIMPLIFIED_ONLY`]. Characters common to both
/// forms (most of them) say nothing; a tie, or no telling character, is Simplified (the more
/// common form of Mandarin).
pub fn han_variant(text: &str) -> &'static str {
    static SETS: OnceLock<(Vec<char>, Vec<char>)> = OnceLock::new();
    let (simp_set, trad_set) = SETS.get_or_init(|| {
        let sorted = |s: &str| {
            let mut v: Vec<char> = s.chars().collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        (sorted(SIMPLIFIED_ONLY), sorted(TRADITIONAL_ONLY))
    });
    let (mut simp, mut trad) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()) {
        if simp_set.binary_search(&c).is_ok() {
            simp += 1;
        } else if trad_set.binary_search(&c).is_ok() {
            trad += 1;
        }
    }
    if trad > simp {
        "Hant"
    } else {
        "Hans"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_tables_do_not_overlap() {
        for c in SIMPLIFIED_ONLY.chars() {
            assert!(!TRADITIONAL_ONLY.contains(c), "{c} in both");
            assert_eq!(
                crate::text::chars::letter_script(c),
                Some(unicode_script::Script::Han),
                "{c}"
            );
        }
        for c in TRADITIONAL_ONLY.chars() {
            assert_eq!(
                crate::text::chars::letter_script(c),
                Some(unicode_script::Script::Han),
                "{c}"
            );
        }
    }

    #[test]
    fn han_variants() {
        assert_eq!(
            han_variant("人人生而自由，在尊严和权利上一律平等。"),
            "Hans"
        );
        assert_eq!(
            han_variant("人人生而自由，在尊嚴和權利上一律平等。"),
            "Hant"
        );
        assert_eq!(han_variant("这是简体中文的句子"), "Hans");
        assert_eq!(han_variant("這是繁體中文的句子"), "Hant");
        assert_eq!(han_variant("人人"), "Hans");
    }

    #[test]
    fn model_languages_are_individual() {
        let c = Codes::get();
        for l in c.langs() {
            assert!(
                MACROLANGUAGES.iter().all(|(m, _)| *m != l),
                "{l} is a macrolanguage"
            );
        }
        for l in [
            "arb", "azj", "ekk", "lvs", "npi", "ory", "uzn", "twi", "ydd", "cmn",
        ] {
            assert!(c.has_lang(l), "{l}");
        }
        assert_eq!(c.tag("arb", "Arab"), "arb_Arab");
        assert_eq!(c.tag("srp", "Cyrl"), "srp_Cyrl");
        assert_eq!(c.tag("cmn", "Hani"), "cmn_Hans");
        assert_eq!(c.tag("kor", "Kore"), "kor_Hang");
        assert_eq!(c.tag("jpn", "Jpan"), "jpn_Jpan");
        assert_eq!(c.tag("und", "Latn"), UND_TAG);
    }

    #[test]
    fn codes_are_checked_with_suggestions() {
        for ok in [
            "eng", "ara", "zho", "msa", "cmn_Hant", "arb_Arab", "und", "nor", "hbs",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        let e = check("engl").unwrap_err();
        assert!(e.contains("`eng`"), "{e}");
        let e = check("ary").unwrap_err();
        assert!(e.contains("`arb` (same macrolanguage `ara`)"), "{e}");
        let e = check("kom").unwrap_err();
        assert!(e.contains("no member"), "{e}");
        let e = check("srp_Arab").unwrap_err();
        assert!(e.contains("`srp_Cyrl`"), "{e}");
        for ok in ["zsm", "sqi", "srp_Latn", "kaz", "glg", "que", "kon"] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        assert!(check("xx").is_err());
    }

    #[test]
    fn sets_expand_macrolanguages() {
        let s = LangSet::new(&["zho".into(), "ara".into(), "srp_Cyrl".into()]);
        assert!(s.contains("cmn", "cmn_Hant"));
        assert!(s.contains("arb", "arb_Arab"));
        assert!(s.contains("srp", "srp_Cyrl"));
        assert!(!s.contains("pes", "pes_Arab"));
        let s = LangSet::new(&["msa".into()]);
        assert!(s.contains("ind", "ind_Latn"));
        assert!(!s.is_empty());
    }
}
