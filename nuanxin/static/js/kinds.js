// Report kinds and categories with their Chinese and English names (mirrors services/reports/domain/kinds.py).
import { currentLang } from './i18n.js';

export const KINDS = [
  { code: 'hazard', zh: '安全隐患', en: 'Safety hazard', icon: '危', categories: [
    ['blocked_fire_exit', '消防通道堵塞', 'Blocked fire exit'],
    ['broken_manhole_cover', '井盖破损', 'Broken manhole cover'],
    ['dangling_wires', '电线垂落', 'Dangling wires'],
    ['ebike_charging_stairwell', '楼道电动车充电', 'E-bike charging in a stairwell'],
    ['road_damage', '道路破损', 'Damaged road'],
    ['other_hazard', '其他隐患', 'Other hazard'],
  ] },
  { code: 'civility', zh: '不文明行为', en: 'Civility', icon: '文', categories: [
    ['illegal_parking', '乱停乱放', 'Illegal parking'],
    ['littering', '乱扔垃圾', 'Littering'],
    ['street_vending', '占道经营', 'Street vending'],
    ['other_civility', '其他不文明行为', 'Other uncivil behaviour'],
  ] },
  { code: 'food_safety', zh: '食品安全', en: 'Food safety', icon: '食', categories: [
    ['kitchen_hygiene', '后厨卫生', 'Kitchen hygiene'],
    ['expired_food', '过期食品', 'Expired food'],
    ['no_licence', '无证经营', 'No licence displayed'],
    ['pests', '虫鼠害', 'Pests'],
  ] },
  { code: 'residents_voice', zh: '民情民意', en: "Residents' voice", icon: '民', categories: [
    ['grievance', '小牢骚', 'Grievance'],
    ['suggestion', '建议', 'Suggestion'],
  ] },
  { code: 'elderly_checkin', zh: '独居老人关爱', en: 'Elderly check-in', icon: '老', categories: [
    ['no_answer', '敲门无应答', 'No answer at the door'],
    ['needs_help', '需要帮助', 'Needs help'],
    ['visited_fine', '探访正常', 'Visited, fine'],
  ], hiddenOnWorkerPage: true },
  { code: 'policy_promotion', zh: '政策宣传', en: 'Policy promotion', icon: '宣', categories: [
    ['leaflets', '发放宣传单', 'Leaflets handed out'],
    ['talk', '政策宣讲', 'Talk given'],
  ] },
];

const CATEGORY = new Map(KINDS.flatMap((k) => k.categories.map(([code, zh, en]) => [code, { zh, en, kind: k.code }])));
const KIND = new Map(KINDS.map((k) => [k.code, k]));

export function kindName(code) {
  const k = KIND.get(code);
  return k ? (currentLang() === 'en' ? k.en : k.zh) : code;
}

export function categoryName(code) {
  const c = CATEGORY.get(code);
  return c ? (currentLang() === 'en' ? c.en : c.zh) : code;
}

export function currentKindName(kind) {
  return currentLang() === 'en' ? kind.en : kind.zh;
}
